import { z } from 'zod'

const IPV4 = String.raw`(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}`
// Loose on purpose (node's setServers has the last word): hex groups, at least two colons.
const IPV6 = '[0-9A-Fa-f.]*(?::[0-9A-Fa-f.]*){2,8}'
const PORT = String.raw`(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})`
/** An address, with a port: `1.1.1.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353`. */
const SERVER = new RegExp(`^(?:${IPV4}(?::${PORT})?|${IPV6}|\\[${IPV6}\\](?::${PORT})?)$`)

/** Options of the `dns` checker: resolve a name against a server and compare the answers. */
export const dnsCheckSchema = z.strictObject({
  type: z.literal('dns'),
  /** The name to resolve, e.g. `api.example.com`. */
  name: z.string().min(1).max(253),
  /** @default 'A' */
  recordType: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'TXT']).default('A'),
  /**
   * The DNS server: an IP address with an optional port (`10.0.0.2`, `127.0.0.1:5353`,
   * `[fd00::53]:53`). The system's resolvers when unset.
   */
  server: z
    .string()
    .regex(SERVER, 'expected an IP address with an optional port, e.g. "10.0.0.2" or "127.0.0.1:5353"')
    .optional(),
  /**
   * Answers that must all be among the records (others may be there too), compared without
   * case or a final dot: addresses (IPv6 in any spelling), names, MX as `exchange` or
   * `priority exchange`, TXT as its text (chunks joined).
   */
  expect: z.array(z.string().min(1)).min(1).optional(),
})

export type DnsCheckOptions = z.output<typeof dnsCheckSchema>
