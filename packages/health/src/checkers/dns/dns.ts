import { Resolver } from 'node:dns/promises'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome } from '../../checker.ts'
import type { DnsCheckOptions } from './schema.ts'

/** The dns checker, with a count of its queries still open (resolvers neither done nor cancelled). */
export interface DnsChecker extends Checker<DnsCheckOptions> {
  pending(): number
}

/** Answers of a name that does not exist, or has no record of the type: the server answered. */
const NO_ANSWER: Record<string, string> = {
  ENOTFOUND: 'no such name (NXDOMAIN)',
  ENODATA: 'no record of that type',
}

/** Answers shown in details and messages at most. */
const SHOWN = 20

/**
 * The `dns` checker: one query through a fresh node:dns Resolver (c-ares) pointed at
 * `server`, each try waiting 2 s and tried twice (a lost UDP packet is common; the check's
 * timeout aborts sooner). An answer without the expected records, NXDOMAIN or an empty answer
 * is `unhealthy`; no answer (timeout, refused, SERVFAIL) is `error`. An abort cancels the
 * query, which closes the resolver's sockets.
 *
 * @example
 * ```ts
 * await createDnsChecker().run(dnsCheckSchema.parse({ type: 'dns', name: 'api.example.com', server: '10.0.0.2',
 *   expect: ['10.0.0.10'] }), { signal, clock: systemClock })
 * ```
 */
export function createDnsChecker(): DnsChecker {
  let open = 0
  return {
    async run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const started = clock.monotonic()
      const resolver = new Resolver({ timeout: 2_000, tries: 2 })
      const cancel = () => resolver.cancel()
      signal.addEventListener('abort', cancel, { once: true })
      open++
      try {
        // In the try: an address the schema's loose pattern let through throws here.
        if (target.server !== undefined) resolver.setServers([target.server])
        const answers = await query(resolver, target)
        const details: Record<string, unknown> = {
          responseTimeMs: Math.round((clock.monotonic() - started) * 100) / 100,
          answers: answers.slice(0, SHOWN),
        }
        const missing = (target.expect ?? []).filter((e) => !answers.some((a) => matches(a, e)))
        const shown = summary(answers)
        if (missing.length > 0)
          return {
            state: 'unhealthy',
            message: `${target.recordType} ${target.name}: expected ${missing.join(', ')}, got ${shown}`,
            details,
            retryable: false,
          }
        return { state: 'healthy', message: `${target.recordType} ${target.name}: ${shown}`, details }
      } catch (error) {
        const code = (error as { code?: unknown }).code
        if (!signal.aborted && typeof code === 'string' && NO_ANSWER[code] !== undefined)
          return {
            state: 'unhealthy',
            message: `${target.recordType} ${target.name}: ${NO_ANSWER[code]}`,
            details: { code, responseTimeMs: Math.round((clock.monotonic() - started) * 100) / 100 },
            retryable: false,
          }
        return errorOutcome(error, signal)
      } finally {
        open--
        signal.removeEventListener('abort', cancel)
      }
    },
    pending: () => open,
  }
}

/** The records of the type asked, as text. */
async function query(resolver: Resolver, target: DnsCheckOptions): Promise<string[]> {
  switch (target.recordType) {
    case 'A':
      return resolver.resolve4(target.name)
    case 'AAAA':
      return resolver.resolve6(target.name)
    case 'CNAME':
      return resolver.resolveCname(target.name)
    case 'MX':
      return (await resolver.resolveMx(target.name)).map((mx) => `${mx.priority} ${mx.exchange}`)
    case 'TXT':
      return (await resolver.resolveTxt(target.name)).map((chunks) => chunks.join(''))
  }
}

const canonical = (s: string) => s.trim().toLowerCase().replace(/\.$/, '')

/** Whether an answer is the expected value: names case-blind, MX by exchange alone too, IPv6 in any spelling. */
function matches(answer: string, expected: string): boolean {
  const a = canonical(answer)
  const e = canonical(expected)
  if (a === e) return true
  const space = a.indexOf(' ')
  if (space > 0 && /^\d+$/.test(a.slice(0, space)) && a.slice(space + 1) === e) return true
  return e.includes(':') && a.includes(':') && expandIpv6(a) === expandIpv6(e)
}

function expandIpv6(address: string): string | undefined {
  const [head, tail, extra] = address.split('::')
  if (extra !== undefined) return undefined
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':')
}

function summary(answers: string[]): string {
  const shown = answers.slice(0, 5).join(', ')
  return answers.length > 5 ? `${shown} and ${answers.length - 5} more` : shown
}
