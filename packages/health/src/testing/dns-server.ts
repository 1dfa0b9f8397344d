import dgram from 'node:dgram'
import type { AddressInfo } from 'node:net'

/** DNS record types the test server answers. */
export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT'

/** One record: an address, a name, `{ priority, exchange }` for MX, text for TXT. */
export type DnsRecord =
  | { type: 'A' | 'AAAA' | 'CNAME' | 'TXT'; value: string }
  | { type: 'MX'; value: { priority: number; exchange: string } }

/** How the server treats queries: answer, stay silent, or fail each one (SERVFAIL). */
export type DnsServerMode = 'answer' | 'silent' | 'servfail'

/** A DNS server on 127.0.0.1 UDP, answering from a table. */
export interface TestDnsServer {
  port: number
  /** `127.0.0.1:port`, as `server` of a dns check takes it. */
  address: string
  /** Queries received so far, answered or not. */
  queries: number
  mode: DnsServerMode
  close(): Promise<void>
}

const TYPES: Record<DnsRecordType, number> = { A: 1, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 }
const RCODE = { noError: 0, servFail: 2, nxDomain: 3, notImp: 4 }

/**
 * Starts a minimal DNS responder on 127.0.0.1 UDP port 0: one question per query, answers
 * from `records` (keyed by lowercase name), NXDOMAIN for a name it does not know, an empty
 * answer (NODATA) for a known name without records of the type asked. An A or AAAA question
 * on a name with a CNAME gets the CNAME and the target's records, as a real server gives.
 */
export async function startDnsServer(records: Record<string, DnsRecord[]>): Promise<TestDnsServer> {
  const socket = dgram.createSocket('udp4')
  const table = new Map(Object.entries(records).map(([name, list]) => [name.toLowerCase(), list]))
  const server: TestDnsServer = {
    port: 0,
    address: '',
    queries: 0,
    mode: 'answer',
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
  socket.on('message', (query, peer) => {
    server.queries++
    if (server.mode === 'silent') return
    const answer = respond(query, table, server.mode === 'servfail')
    if (answer) socket.send(answer, peer.port, peer.address)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => resolve())
  })
  server.port = (socket.address() as AddressInfo).port
  server.address = `127.0.0.1:${server.port}`
  return server
}

/** The answer to one query, or undefined for one too short to answer. */
function respond(query: Buffer, table: Map<string, DnsRecord[]>, servFail: boolean): Buffer | undefined {
  if (query.length < 12) return undefined
  const question = readName(query, 12)
  if (!question) return undefined
  const end = question.end + 4
  if (end > query.length) return undefined
  const qtype = query.readUInt16BE(question.end)
  const header = (rcode: number, answers: number) => {
    const h = Buffer.alloc(12)
    query.copy(h, 0, 0, 2)
    // QR, the query's RD, RA; then the rcode.
    h.writeUInt16BE(0x8080 | ((query[2]! & 0x01) << 8) | rcode, 2)
    h.writeUInt16BE(1, 4)
    h.writeUInt16BE(answers, 6)
    return h
  }
  const q = query.subarray(12, end)
  if (servFail) return Buffer.concat([header(RCODE.servFail, 0), q])
  const type = (Object.keys(TYPES) as DnsRecordType[]).find((t) => TYPES[t] === qtype)
  if (!type) return Buffer.concat([header(RCODE.notImp, 0), q])
  const name = question.name.toLowerCase()
  const known = table.get(name)
  if (!known) return Buffer.concat([header(RCODE.nxDomain, 0), q])
  const answers: Buffer[] = []
  let owner = name
  let list = known
  // Follow a CNAME chain (a few steps) for other types, as a recursive server answers.
  for (let hop = 0; hop < 4; hop++) {
    const cname = list.find((r) => r.type === 'CNAME')
    if (type === 'CNAME' || !cname) break
    answers.push(record(owner, cname))
    owner = (cname.value as string).toLowerCase()
    list = table.get(owner) ?? []
  }
  for (const r of list) if (r.type === type) answers.push(record(owner, r))
  return Buffer.concat([header(RCODE.noError, answers.length), q, ...answers])
}

function readName(buf: Buffer, offset: number): { name: string; end: number } | undefined {
  const labels: string[] = []
  let at = offset
  while (at < buf.length) {
    const length = buf[at]!
    if (length === 0) return { name: labels.join('.'), end: at + 1 }
    if (length > 63) return undefined
    labels.push(buf.toString('latin1', at + 1, at + 1 + length))
    at += 1 + length
  }
  return undefined
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean)
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])),
    Buffer.from([0]),
  ])
}

function record(owner: string, r: DnsRecord): Buffer {
  let data: Buffer
  if (r.type === 'A') data = Buffer.from(r.value.split('.').map(Number))
  else if (r.type === 'AAAA') data = ipv6(r.value)
  else if (r.type === 'CNAME') data = encodeName(r.value)
  else if (r.type === 'MX') {
    const pref = Buffer.alloc(2)
    pref.writeUInt16BE(r.value.priority)
    data = Buffer.concat([pref, encodeName(r.value.exchange)])
  } else {
    const text = Buffer.from(r.value)
    const chunks: Buffer[] = []
    for (let i = 0; i < text.length || i === 0; i += 255) {
      const part = text.subarray(i, i + 255)
      chunks.push(Buffer.from([part.length]), part)
    }
    data = Buffer.concat(chunks)
  }
  const fixed = Buffer.alloc(10)
  fixed.writeUInt16BE(TYPES[r.type], 0)
  fixed.writeUInt16BE(1, 2) // IN
  fixed.writeUInt32BE(60, 4) // TTL
  fixed.writeUInt16BE(data.length, 8)
  return Buffer.concat([encodeName(owner), fixed, data])
}

function ipv6(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined]
  const groups = (s: string | undefined) => (s ? s.split(':') : [])
  const left = groups(head)
  const right = groups(tail)
  const all =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  const out = Buffer.alloc(16)
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2)
  return out
}
