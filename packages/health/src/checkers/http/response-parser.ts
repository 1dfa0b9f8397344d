/**
 * An incremental HTTP/1.1 response parser for the plain http client: the status line, the
 * three headers that frame a response (Content-Length, Transfer-Encoding, Connection), and the
 * body by length, chunked or up to the close. It keeps only what a check needs: the status
 * code and, when asked, the body bytes. Every buffer it holds has a bound, and anything it
 * does not understand is an error, never a guess.
 */

/** The head of a response (interim 1xx heads included) may take at most this many bytes: node's default. */
export const MAX_HEAD_BYTES = 16 * 1024
/** A chunk-size line, extensions included. */
const MAX_CHUNK_LINE = 1024

/** What {@link ResponseParser.execute} and {@link ResponseParser.eof} found. */
export const Parse = {
  /** The answer is not complete yet. */
  More: 0,
  /** The answer is complete; see `keepAlive` and `trailing`. */
  Done: 1,
  /** The bytes are not an HTTP/1.x answer; see `error`. */
  Invalid: 2,
  /** The body is longer than the check reads; see `statusCode`. */
  TooLarge: 3,
  /** The connection closed before the answer was complete (`received` says whether any byte came). */
  Closed: 4,
} as const
export type Parse = (typeof Parse)[keyof typeof Parse]

const Phase = {
  Head: 0,
  Length: 1,
  UntilClose: 2,
  ChunkSize: 3,
  ChunkData: 4,
  ChunkDataEnd: 5,
  Trailers: 6,
  Done: 7,
} as const
type Phase = (typeof Phase)[keyof typeof Phase]

const CRLFCRLF = Buffer.from('\r\n\r\n')
const CR = 13
const LF = 10
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/
const CHUNK_SIZE = /^[0-9a-fA-F]{1,12}$/
const CONTENT_LENGTH = /^\d{1,15}$/
// A header line may hold no bare CR, LF or NUL (node's parser refuses them too).
const BAD_LINE_CHAR = /[\r\n\0]/

/** A parse error as node's parser reports one: a message starting `Parse Error:` and an `HPE_` code. */
export interface ParseError {
  message: string
  code: string
}

/** Whether `char` occurs in `line` before index `end` (no slice made). */
const before = (line: string, char: string, end: number) => {
  const at = line.indexOf(char)
  return at !== -1 && at < end
}

const parseError = (code: string, reason: string): ParseError => ({
  message: `Parse Error: ${reason}`,
  code,
})

/**
 * One parser per connection, reset for each request. `execute` takes the bytes as they come
 * and says when the answer is complete; the caller then reads `statusCode`, `keepAlive`,
 * `trailing` and (when it asked for the body) `chunks`.
 */
export class ResponseParser {
  statusCode = 0
  /** The connection may carry another request after this answer. */
  keepAlive = false
  /** Bytes came after the end of the answer: the connection cannot be reused. */
  trailing = false
  /** Any byte of an answer arrived. */
  received = false
  /** The body, when asked for (at most `maxBodyBytes`). */
  chunks: Buffer[] | undefined = undefined
  error: ParseError | undefined = undefined

  #phase: Phase = Phase.Head
  #noBody = false
  #maxBodyBytes = 0
  #bodyBytes = 0
  /** Bytes left of the body (Length) or of the current chunk (ChunkData, ChunkDataEnd). */
  #remaining = 0
  /** A head that spans reads, copied into a buffer of MAX_HEAD_BYTES made for it. */
  #partial: Buffer | undefined = undefined
  #partialLength = 0
  /** Head bytes of this answer so far, interim 1xx heads included. */
  #headBytes = 0
  /** A chunk-size or trailer line that spans reads. */
  #line = ''
  #trailerBytes = 0

  /** Ready for the answer to a new request; `noBody` for HEAD. */
  reset(noBody: boolean, collectBody: boolean, maxBodyBytes: number) {
    this.statusCode = 0
    this.keepAlive = false
    this.trailing = false
    this.received = false
    this.chunks = collectBody ? [] : undefined
    this.error = undefined
    this.#phase = Phase.Head
    this.#noBody = noBody
    this.#maxBodyBytes = maxBodyBytes
    this.#bodyBytes = 0
    this.#remaining = 0
    this.#partial = undefined
    this.#partialLength = 0
    this.#headBytes = 0
    this.#line = ''
    this.#trailerBytes = 0
  }

  /** Parses the next bytes of the answer. */
  execute(chunk: Buffer): Parse {
    if (chunk.length > 0) this.received = true
    let at = 0
    while (at < chunk.length) {
      switch (this.#phase) {
        case Phase.Head: {
          const next = this.#head(chunk, at)
          if (next < 0) return next === -1 ? Parse.More : Parse.Invalid
          at = next
          // A declared length past the cap is answered at once: no byte of it is read.
          if ((this.#phase as Phase) === Phase.Length && this.#remaining > this.#maxBodyBytes)
            return Parse.TooLarge
          break
        }
        case Phase.Length: {
          const take = Math.min(this.#remaining, chunk.length - at)
          this.#body(chunk, at, at + take)
          this.#remaining -= take
          at += take
          if (this.#remaining === 0) this.#phase = Phase.Done
          break
        }
        case Phase.UntilClose: {
          if (!this.#body(chunk, at, chunk.length)) return Parse.TooLarge
          return Parse.More
        }
        case Phase.ChunkSize: {
          const next = this.#readLine(chunk, at, MAX_CHUNK_LINE)
          if (next === -2) return this.#fail('HPE_INVALID_CHUNK_SIZE', 'Chunk size line too long')
          if (next === -3) return this.#fail('HPE_LF_EXPECTED', 'Missing expected CR before LF')
          if (next === -1) return Parse.More
          at = next
          const sizeText = this.#line.split(';', 1)[0]!.trim()
          this.#line = ''
          if (!CHUNK_SIZE.test(sizeText))
            return this.#fail('HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size')
          const size = Number.parseInt(sizeText, 16)
          if (size === 0) this.#phase = Phase.Trailers
          else if (this.#bodyBytes + size > this.#maxBodyBytes) return Parse.TooLarge
          else {
            this.#remaining = size
            this.#phase = Phase.ChunkData
          }
          break
        }
        case Phase.ChunkData: {
          const take = Math.min(this.#remaining, chunk.length - at)
          this.#body(chunk, at, at + take)
          this.#remaining -= take
          at += take
          if (this.#remaining === 0) {
            this.#remaining = 2
            this.#phase = Phase.ChunkDataEnd
          }
          break
        }
        case Phase.ChunkDataEnd: {
          const expected = this.#remaining === 2 ? CR : LF
          if (chunk[at] !== expected) return this.#fail('HPE_STRICT', 'Expected CRLF after chunk')
          at++
          if (--this.#remaining === 0) this.#phase = Phase.ChunkSize
          break
        }
        case Phase.Trailers: {
          const next = this.#readLine(chunk, at, MAX_HEAD_BYTES)
          if (next === -3) return this.#fail('HPE_LF_EXPECTED', 'Missing expected CR before LF')
          if (next === -2 || this.#trailerBytes + this.#line.length > MAX_HEAD_BYTES)
            return this.#fail('HPE_HEADER_OVERFLOW', 'Header overflow')
          if (next === -1) return Parse.More
          this.#trailerBytes += this.#line.length + 2
          at = next
          const ended = this.#line.length === 0
          this.#line = ''
          if (ended) this.#phase = Phase.Done
          break
        }
        case Phase.Done: {
          // Bytes past the answer: a server that pipelines garbage. Never reuse such a connection.
          this.trailing = true
          return Parse.Done
        }
      }
      if (this.#phase === Phase.Done && at === chunk.length) return Parse.Done
    }
    return this.#phase === Phase.Done ? Parse.Done : Parse.More
  }

  /** The connection closed: an answer delimited by the close is complete, any other is cut short. */
  eof(): Parse {
    if (this.#phase === Phase.UntilClose) {
      this.#phase = Phase.Done
      return Parse.Done
    }
    return this.#phase === Phase.Done ? Parse.Done : Parse.Closed
  }

  #fail(code: string, reason: string): Parse {
    this.error = parseError(code, reason)
    return Parse.Invalid
  }

  #refuse(code: string, reason: string): false {
    this.error = parseError(code, reason)
    return false
  }

  /** Counts (and keeps, when asked) body bytes; false past `maxBodyBytes`. */
  #body(chunk: Buffer, from: number, to: number): boolean {
    if (to === from) return true
    this.#bodyBytes += to - from
    if (this.#bodyBytes > this.#maxBodyBytes) return false
    this.chunks?.push(chunk.subarray(from, to))
    return true
  }

  /**
   * Reads head bytes from `at`: the index after the head when one ended (the body phase is
   * set), -1 when more bytes are needed, -2 on an error.
   */
  #head(chunk: Buffer, at: number): number {
    if (this.#partial === undefined) {
      const end = chunk.indexOf(CRLFCRLF, at)
      if (end !== -1 && this.#headBytes + end + 4 - at <= MAX_HEAD_BYTES) {
        this.#headBytes += end + 4 - at
        return this.#parseHead(chunk, at, end) ? end + 4 : -2
      }
      if (end === -1 && this.#headBytes + chunk.length - at < MAX_HEAD_BYTES) {
        // The head goes on in the next read: keep its start, within the cap.
        this.#partial = Buffer.allocUnsafe(MAX_HEAD_BYTES)
        this.#partialLength = chunk.copy(this.#partial, 0, at)
        return -1
      }
      this.#fail('HPE_HEADER_OVERFLOW', 'Header overflow')
      return -2
    }
    const partial = this.#partial
    const before = this.#partialLength
    const room = MAX_HEAD_BYTES - this.#headBytes - before
    const copied = chunk.copy(partial, before, at, at + Math.max(0, room))
    this.#partialLength = before + copied
    const end = partial.subarray(0, this.#partialLength).indexOf(CRLFCRLF, Math.max(0, before - 3))
    if (end === -1) {
      if (copied < chunk.length - at || this.#partialLength + this.#headBytes >= MAX_HEAD_BYTES) {
        this.#fail('HPE_HEADER_OVERFLOW', 'Header overflow')
        return -2
      }
      return -1
    }
    this.#partial = undefined
    this.#partialLength = 0
    this.#headBytes += end + 4
    return this.#parseHead(partial, 0, end) ? at + (end + 4 - before) : -2
  }

  /** Parses one head (status line and headers, without the blank line) and picks the body phase. */
  #parseHead(buffer: Buffer, from: number, to: number): boolean {
    const lines = buffer.toString('latin1', from, to).split('\r\n')
    const status = STATUS_LINE.exec(lines[0]!)
    if (status === null || BAD_LINE_CHAR.test(lines[0]!))
      return this.#refuse('HPE_INVALID_CONSTANT', 'Expected HTTP/1.x status line')
    const code = Number(status[2])
    let contentLength = -1
    let chunked = false
    let encoded = false
    let keepAlive = status[1] === '1'
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const colon = line.indexOf(':')
      // No name, a name with white space, a folded line (obsolete), or a bare CR/LF: refused.
      if (colon <= 0 || BAD_LINE_CHAR.test(line) || before(line, ' ', colon) || before(line, '\t', colon))
        return this.#refuse('HPE_INVALID_HEADER_TOKEN', 'Invalid header line')
      // Only the names that frame the answer are read: their lengths say which to compare.
      if (colon !== 10 && colon !== 14 && colon !== 17) continue
      const name = line.slice(0, colon).toLowerCase()
      if (name === 'content-length') {
        const value = line.slice(colon + 1).trim()
        if (!CONTENT_LENGTH.test(value))
          return this.#refuse('HPE_INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length')
        if (contentLength !== -1)
          return this.#refuse('HPE_UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length')
        contentLength = Number(value)
      } else if (name === 'transfer-encoding') {
        encoded = true
        const codings = line
          .slice(colon + 1)
          .toLowerCase()
          .split(',')
        chunked = codings[codings.length - 1]!.trim() === 'chunked'
      } else if (name === 'connection') {
        const tokens = line.slice(colon + 1).toLowerCase()
        if (tokens.includes('close')) keepAlive = false
        else if (tokens.includes('keep-alive')) keepAlive = true
      }
    }
    if (encoded && contentLength !== -1)
      return this.#refuse(
        'HPE_UNEXPECTED_CONTENT_LENGTH',
        "Transfer-Encoding can't be present with Content-Length",
      )
    // Interim answers (100 Continue, 103 Early Hints) come before the real one: skip them.
    if (code < 200 && code !== 101) return true
    this.statusCode = code
    this.keepAlive = keepAlive && code !== 101
    if (this.#noBody || code === 204 || code === 304 || code === 101) this.#phase = Phase.Done
    else if (chunked) this.#phase = Phase.ChunkSize
    else if (encoded || contentLength === -1) {
      // No length: the body ends when the server closes the connection.
      this.keepAlive = false
      this.#phase = Phase.UntilClose
    } else {
      this.#remaining = contentLength
      this.#phase = contentLength === 0 ? Phase.Done : Phase.Length
    }
    return true
  }

  /**
   * Reads a CRLF-ended line into `#line` from `at`: the index after it, -1 when it goes on in
   * the next read, -2 when it is longer than `max`, -3 when its LF has no CR.
   */
  #readLine(chunk: Buffer, at: number, max: number): number {
    const lf = chunk.indexOf(LF, at)
    const end = lf === -1 ? chunk.length : lf
    if (this.#line.length + end - at > max + 1) return -2
    this.#line += chunk.toString('latin1', at, end)
    if (lf === -1) return -1
    if (!this.#line.endsWith('\r')) return -3
    this.#line = this.#line.slice(0, -1)
    return lf + 1
  }
}
