/** One operation a NATS server sends (client protocol, https://docs.nats.io/reference/reference-protocols/nats-protocol). */
export type ServerOp =
  | { op: 'INFO'; info: Record<string, unknown> }
  | { op: 'MSG'; subject: string; sid: string; replyTo?: string; payload: Buffer }
  | { op: 'PING' }
  | { op: 'PONG' }
  | { op: '+OK' }
  | { op: '-ERR'; message: string }

/** Longest control line accepted: a server that sends more without a line end is not a NATS server. */
const MAX_LINE = 64 * 1024

/**
 * Splits the bytes of a NATS server into operations. `push` returns the operations that are
 * complete; a partial one waits for the next chunk. Throws on what is not the NATS protocol.
 */
export function createOpReader(): { push(chunk: Buffer): ServerOp[] } {
  let pending: Buffer = Buffer.alloc(0)
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      const ops: ServerOp[] = []
      for (;;) {
        const end = pending.indexOf('\r\n')
        if (end < 0) {
          if (pending.length > MAX_LINE) throw new Error('not a NATS server: no line end in 64 KiB')
          return ops
        }
        const line = pending.subarray(0, end).toString('utf8')
        const space = line.indexOf(' ')
        const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase()
        const rest = space < 0 ? '' : line.slice(space + 1).trim()
        if (verb === 'MSG') {
          const args = rest.split(/\s+/)
          if (args.length < 3 || args.length > 4)
            throw new Error(`not a NATS server: bad MSG line ${line.slice(0, 80)}`)
          const size = Number(args.at(-1))
          if (!Number.isInteger(size) || size < 0)
            throw new Error(`not a NATS server: bad MSG size ${line.slice(0, 80)}`)
          // The payload and its own \r\n must be complete before the MSG is.
          if (pending.length < end + 2 + size + 2) return ops
          const payload = Buffer.from(pending.subarray(end + 2, end + 2 + size))
          pending = pending.subarray(end + 2 + size + 2)
          const [subject = '', sid = ''] = args
          ops.push(
            args.length === 4
              ? { op: 'MSG', subject, sid, replyTo: args[2], payload }
              : { op: 'MSG', subject, sid, payload },
          )
          continue
        }
        pending = pending.subarray(end + 2)
        if (verb === 'INFO') {
          let info: unknown
          try {
            info = JSON.parse(rest)
          } catch {
            throw new Error('not a NATS server: INFO is not JSON')
          }
          ops.push({ op: 'INFO', info: (info ?? {}) as Record<string, unknown> })
        } else if (verb === 'PING') ops.push({ op: 'PING' })
        else if (verb === 'PONG') ops.push({ op: 'PONG' })
        else if (verb === '+OK') ops.push({ op: '+OK' })
        else if (verb === '-ERR') ops.push({ op: '-ERR', message: rest.replace(/^'(.*)'$/, '$1') })
        else throw new Error(`not a NATS server: unexpected ${JSON.stringify(line.slice(0, 40))}`)
      }
    },
  }
}
