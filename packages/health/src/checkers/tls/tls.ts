import net from 'node:net'
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome, settleOnce } from '../../checker.ts'
import type { TlsCheckOptions } from './schema.ts'

const DAY_MS = 86_400_000

/** Chain errors of a self-signed certificate, accepted with `allowSelfSigned`. */
const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN'])
/** Chain errors about the dates: the checker reports those from the dates themselves. */
const DATES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])

/**
 * The `tls` checker: a TLS handshake with `host:port`, then a verdict on the certificate the
 * server presented. The server answered, so a certificate problem is `unhealthy` (not
 * retryable), in this order: expired or not yet valid, an untrusted chain, a name that does not
 * match, fewer than `criticalDays` left. Fewer than `warnDays` left is `healthy` with the
 * warning in the message and `details.warning`: the state model has no warning state, and a
 * certificate that still works should not page anyone or trigger healing. No handshake
 * (refused, reset, not TLS, timeout) is `error`. The socket is closed after the handshake and
 * on abort; nothing is sent over it.
 *
 * @example
 * ```ts
 * await createTlsChecker().run(tlsCheckSchema.parse({ type: 'tls', host: 'example.com' }), { signal, clock: systemClock })
 * ```
 */
export function createTlsChecker(): Checker<TlsCheckOptions> {
  return {
    run(target, { signal, clock }) {
      if (signal.aborted) return Promise.resolve(errorOutcome(signal.reason, signal))
      return new Promise<CheckOutcome>((resolve) => {
        const started = clock.monotonic()
        const name = target.servername ?? target.host
        const socket = tls.connect({
          host: target.host,
          port: target.port,
          // SNI takes names only, never an address.
          ...(net.isIP(name) ? {} : { servername: name }),
          ...(target.ca === undefined ? {} : { ca: target.ca }),
          // Judged below, so that an untrusted certificate is a verdict, not a failed handshake.
          rejectUnauthorized: false,
        })
        const finish = settleOnce(socket, signal, resolve)
        socket.on('error', (error) => finish(errorOutcome(error)))
        socket.on('close', () =>
          finish({ state: 'error', message: 'connection closed during the TLS handshake', retryable: true }),
        )
        socket.on('secureConnect', () => {
          const handshakeMs = Math.round((clock.monotonic() - started) * 100) / 100
          finish(judge(target, name, socket, clock.now(), handshakeMs))
        })
      })
    },
  }
}

/** The verdict on the certificate of a completed handshake. */
function judge(
  target: TlsCheckOptions,
  name: string,
  socket: TLSSocket,
  now: number,
  handshakeMs: number,
): CheckOutcome {
  const cert = socket.getPeerCertificate()
  if (!cert || Object.keys(cert).length === 0)
    return { state: 'unhealthy', message: 'the server presented no certificate', retryable: false }
  const validFrom = Date.parse(cert.valid_from)
  const validTo = Date.parse(cert.valid_to)
  // Whole days, toward zero: 9.9 days left is 9, expired 1.5 days ago is -1 (never -0).
  const daysLeft = Math.trunc((validTo - now) / DAY_MS) || 0
  const chainError = socket.authorized ? undefined : String(socket.authorizationError ?? 'unknown')
  const details: Record<string, unknown> = {
    handshakeMs,
    daysLeft,
    validTo: new Date(validTo).toISOString(),
    subject: nameOf(cert.subject),
    issuer: nameOf(cert.issuer),
    authorized: socket.authorized,
    ...(chainError === undefined ? {} : { authorizationError: chainError }),
  }
  const fail = (message: string): CheckOutcome => ({ state: 'unhealthy', message, details, retryable: false })
  if (validTo <= now) return fail(`certificate expired on ${details.validTo}`)
  if (validFrom > now) return fail(`certificate not valid before ${new Date(validFrom).toISOString()}`)
  // node verifies the name only once the chain passed (and reports the name as the chain
  // error then): check it apart, so that both show.
  if (chainError !== undefined && !DATES.has(chainError) && chainError !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
    if (!(target.allowSelfSigned && SELF_SIGNED.has(chainError)))
      return fail(`certificate not trusted: ${chainError}`)
  }
  const mismatch = tls.checkServerIdentity(name, cert)
  if (mismatch)
    return fail(
      `certificate does not match ${name}: ${(mismatch as { reason?: string }).reason ?? mismatch.message}`,
    )
  const left = `certificate expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`
  if (daysLeft < target.criticalDays) return fail(`${left}, fewer than ${target.criticalDays}`)
  if (daysLeft < target.warnDays) {
    details.warning = `fewer than ${target.warnDays} days left`
    return { state: 'healthy', message: `${left} (warning: fewer than ${target.warnDays})`, details }
  }
  return { state: 'healthy', message: left, details }
}

/** A certificate name for people: its CN, else its organisation. */
function nameOf(entity: PeerCertificate['subject'] | undefined): string | undefined {
  if (!entity) return undefined
  const pick = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)
  return pick(entity.CN) ?? pick(entity.O)
}
