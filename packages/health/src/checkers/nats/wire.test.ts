import { describe, expect, it } from 'vitest'
import { createOpReader } from './wire.ts'

describe('createOpReader', () => {
  it('should read operations split anywhere across chunks, a MSG payload with CRLF inside included', () => {
    const bytes = Buffer.from(
      'INFO {"version":"2.10.0"}\r\nPING\r\nMSG a.b 1 _INBOX.x 4\r\nx\r\ny\r\nMSG c 2 0\r\n\r\n-ERR \'Authorization Violation\'\r\n',
    )
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = createOpReader()
      const ops = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))]
      expect(ops).toEqual([
        { op: 'INFO', info: { version: '2.10.0' } },
        { op: 'PING' },
        { op: 'MSG', subject: 'a.b', sid: '1', replyTo: '_INBOX.x', payload: Buffer.from('x\r\ny') },
        { op: 'MSG', subject: 'c', sid: '2', payload: Buffer.alloc(0) },
        { op: '-ERR', message: 'Authorization Violation' },
      ])
    }
  })

  it('should throw on what is not the NATS protocol', () => {
    expect(() => createOpReader().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(
      'not a NATS server: unexpected "HTTP/1.1 400 Bad Request"',
    )
    expect(() => createOpReader().push(Buffer.from('INFO {nope\r\n'))).toThrow(
      'not a NATS server: INFO is not JSON',
    )
    expect(() => createOpReader().push(Buffer.alloc(70_000, 'a'))).toThrow('no line end in 64 KiB')
  })
})
