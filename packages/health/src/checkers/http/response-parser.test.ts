import { describe, expect, it } from 'vitest'
import { MAX_HEAD_BYTES, Parse, ResponseParser } from './response-parser.ts'

/** Feeds `text` in pieces of `step` bytes; the result, with what the parser found. */
function parse(text: string | Buffer, step = Number.POSITIVE_INFINITY, options = { head: false, max: 1024 }) {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text
  const parser = new ResponseParser()
  parser.reset(options.head, true, options.max)
  let result: Parse = Parse.More
  for (let at = 0; at < bytes.length && result === Parse.More; at += step)
    result = parser.execute(bytes.subarray(at, Math.min(bytes.length, at + step)))
  return {
    result,
    statusCode: parser.statusCode,
    keepAlive: parser.keepAlive,
    trailing: parser.trailing,
    body: parser.chunks ? Buffer.concat(parser.chunks).toString('latin1') : undefined,
    error: parser.error?.message,
    parser,
  }
}

const ok = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n'

describe('ResponseParser', () => {
  it('should read a body by Content-Length, in one piece or byte by byte, and keep the connection', () => {
    for (const step of [Number.POSITIVE_INFINITY, 1, 3, 7])
      expect(parse(`${ok}Content-Length: 5\r\n\r\nhello`, step), String(step)).toMatchObject({
        result: Parse.Done,
        statusCode: 200,
        keepAlive: true,
        trailing: false,
        body: 'hello',
      })
  })

  it('should read a chunked body with extensions and trailers, in any split', () => {
    const text = `${ok}Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nx-trailer: y\r\n\r\n`
    for (const step of [Number.POSITIVE_INFINITY, 1, 2, 5])
      expect(parse(text, step), String(step)).toMatchObject({
        result: Parse.Done,
        keepAlive: true,
        body: 'hello!',
      })
  })

  it('should read a body without a length up to the close, and not keep that connection', () => {
    const { result, parser, keepAlive } = parse(`${ok}\r\nuntil the end`)
    expect(result).toBe(Parse.More)
    expect(keepAlive).toBe(false)
    expect(parser.eof()).toBe(Parse.Done)
    expect(Buffer.concat(parser.chunks!).toString()).toBe('until the end')
  })

  it('should know the answers that have no body: HEAD, 204, 304', () => {
    expect(parse(`${ok}Content-Length: 50\r\n\r\n`, 1, { head: true, max: 10 })).toMatchObject({
      result: Parse.Done,
      body: '',
    })
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n').result).toBe(Parse.Done)
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n').result).toBe(Parse.Done)
  })

  it('should skip interim 1xx answers', () => {
    const text = `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok}Content-Length: 2\r\n\r\nok`
    for (const step of [Number.POSITIVE_INFINITY, 1])
      expect(parse(text, step)).toMatchObject({ result: Parse.Done, statusCode: 200, body: 'ok' })
  })

  it('should close after Connection: close and after an HTTP/1.0 answer unless it asks for keep-alive', () => {
    expect(parse(`${ok}Connection: close\r\nContent-Length: 0\r\n\r\n`).keepAlive).toBe(false)
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false)
    expect(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(
      true,
    )
  })

  it('should mark bytes past the end of the answer', () => {
    expect(parse(`${ok}Content-Length: 2\r\n\r\nokGARBAGE`)).toMatchObject({
      result: Parse.Done,
      trailing: true,
    })
  })

  it('should refuse what is not an HTTP/1.x answer', () => {
    for (const [text, error] of [
      ['HELLO THIS IS NOT HTTP\r\n\r\n', 'Parse Error: Expected HTTP/1.x status line'],
      ['HTTP/2 200\r\n\r\n', 'Parse Error: Expected HTTP/1.x status line'],
      ['HTTP/1.1 20 OK\r\n\r\n', 'Parse Error: Expected HTTP/1.x status line'],
      ['HTTP/1.1 1e2 OK\r\n\r\n', 'Parse Error: Expected HTTP/1.x status line'],
      ['HTTP/1.1 200OK\r\n\r\n', 'Parse Error: Expected HTTP/1.x status line'],
      [`${ok}no colon here\r\n\r\n`, 'Parse Error: Invalid header line'],
      [`${ok}bad name: x\r\n\r\n`, 'Parse Error: Invalid header line'],
      [`${ok} folded\r\n\r\n`, 'Parse Error: Invalid header line'],
      [`${ok}x: a\nb\r\n\r\n`, 'Parse Error: Invalid header line'],
      [`${ok}Content-Length: -1\r\n\r\n`, 'Parse Error: Invalid character in Content-Length'],
      [`${ok}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`, 'Parse Error: Duplicate Content-Length'],
      [
        `${ok}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`,
        "Parse Error: Transfer-Encoding can't be present with Content-Length",
      ],
      [`${ok}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 'Parse Error: Invalid character in chunk size'],
      [`${ok}Transfer-Encoding: chunked\r\n\r\n2\r\nokX`, 'Parse Error: Expected CRLF after chunk'],
      [`${ok}Transfer-Encoding: chunked\r\n\r\n2\nok`, 'Parse Error: Missing expected CR before LF'],
    ])
      for (const step of [Number.POSITIVE_INFINITY, 1])
        expect(parse(text!, step), `${JSON.stringify(text)} by ${step}`).toMatchObject({
          result: Parse.Invalid,
          error,
        })
  })

  it('should refuse a head past 16 KiB, whole or dripped, interim heads included', () => {
    const huge = `${ok}x-big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`
    for (const step of [Number.POSITIVE_INFINITY, 1000, 1]) {
      const { result, error, parser } = parse(huge, step)
      expect(result, String(step)).toBe(Parse.Invalid)
      expect(error).toBe('Parse Error: Header overflow')
      expect(parser.error?.code).toBe('HPE_HEADER_OVERFLOW')
    }
    const interim = 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n'.repeat(Math.ceil(MAX_HEAD_BYTES / 30))
    expect(parse(interim).error).toBe('Parse Error: Header overflow')
    // Just under the cap is fine.
    const fits = `${ok}x-big: ${'a'.repeat(MAX_HEAD_BYTES - ok.length - 40)}\r\nContent-Length: 0\r\n\r\n`
    expect(fits.length).toBeLessThanOrEqual(MAX_HEAD_BYTES)
    expect(parse(fits, 100).result).toBe(Parse.Done)
  })

  it('should stop at maxBodyBytes: a declared length at once, chunks and close-delimited bodies as they come', () => {
    expect(parse(`${ok}Content-Length: 2000\r\n\r\n`).result).toBe(Parse.TooLarge)
    expect(parse(`${ok}Transfer-Encoding: chunked\r\n\r\n800\r\n`).result).toBe(Parse.TooLarge)
    const chunks = `${ok}Transfer-Encoding: chunked\r\n\r\n${'100\r\n'.concat('x'.repeat(256), '\r\n').repeat(5)}`
    expect(parse(chunks, 50).result).toBe(Parse.TooLarge)
    expect(parse(`${ok}\r\n${'x'.repeat(1025)}`, 100).result).toBe(Parse.TooLarge)
    expect(parse(`${ok}\r\n${'x'.repeat(1024)}`, 100).result).toBe(Parse.More)
  })

  it('should say whether an answer was cut short by the close', () => {
    const parser = new ResponseParser()
    parser.reset(false, false, 100)
    expect(parser.eof()).toBe(Parse.Closed)
    expect(parser.received).toBe(false)
    parser.reset(false, false, 100)
    expect(parser.execute(Buffer.from(`${ok}Content-Length: 10\r\n\r\nabc`))).toBe(Parse.More)
    expect(parser.eof()).toBe(Parse.Closed)
    expect(parser.statusCode).toBe(200)
    expect(parser.received).toBe(true)
  })
})
