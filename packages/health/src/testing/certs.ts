import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A key and its certificate, PEM. */
export interface KeyPair {
  key: string
  cert: string
}

/** Throwaway certificates made with the openssl CLI (argv, no shell) in a temporary folder. */
export interface CertFactory {
  /** The CA that signs the leaves. */
  readonly ca: KeyPair
  /**
   * A leaf signed by the CA for `hosts` (IP addresses or DNS names, as subjectAltName), valid
   * for `days` from now; `days: -1` makes one that expired a day ago (openssl's lowest).
   */
  leaf(hosts: string[], days: number): KeyPair
  /** A self-signed certificate for `hosts`, valid for `days`. */
  selfSigned(hosts: string[], days: number): KeyPair
  /** Removes the folder. */
  remove(): void
}

// P-256 keys: made in milliseconds, where an RSA key takes a noticeable part of a second.
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
const san = (hosts: string[]) =>
  `subjectAltName=${hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`

/** Makes a CA in a new temporary folder; leaves and self-signed certificates on demand. */
export function createCertFactory(): CertFactory {
  const dir = mkdtempSync(join(tmpdir(), 'noa-certs-'))
  let n = 0
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  const read = (name: string) => readFileSync(join(dir, name), 'utf8')
  openssl(
    ['req', '-x509', ...KEY, '-days', '3650', '-subj', '/CN=noa test CA'].concat([
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.pem'),
    ]),
  )
  const ca = { key: read('ca.key'), cert: read('ca.pem') }
  return {
    ca,
    leaf(hosts, days) {
      const name = `leaf${++n}`
      writeFileSync(join(dir, `${name}.ext`), `${san(hosts)}\n`)
      openssl(
        ['req', ...KEY, '-subj', `/CN=${hosts[0]}`].concat([
          '-keyout',
          join(dir, `${name}.key`),
          '-out',
          join(dir, `${name}.csr`),
        ]),
      )
      openssl(
        ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, 'ca.pem')]
          .concat(['-CAkey', join(dir, 'ca.key'), '-days', String(days)])
          .concat(['-extfile', join(dir, `${name}.ext`), '-out', join(dir, `${name}.pem`)]),
      )
      return { key: read(`${name}.key`), cert: read(`${name}.pem`) }
    },
    selfSigned(hosts, days) {
      const name = `self${++n}`
      openssl(
        [
          'req',
          '-x509',
          ...KEY,
          '-days',
          String(days),
          '-subj',
          `/CN=${hosts[0]}`,
          '-addext',
          san(hosts),
        ].concat(['-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)]),
      )
      return { key: read(`${name}.key`), cert: read(`${name}.pem`) }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
