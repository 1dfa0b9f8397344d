import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The Alertmanager binary of this machine (Debian names it prometheus-alertmanager), if any. */
export const ALERTMANAGER_BIN = ['prometheus-alertmanager', 'alertmanager'].find(
  (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0,
)

/** An alert as Alertmanager's `GET /api/v2/alerts` shows it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  status: { state: 'active' | 'suppressed' | 'unprocessed' }
}

/** A real Alertmanager on 127.0.0.1, its data in a folder of its own. */
export interface TestAlertmanager {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** The alerts it holds as active (not resolved, not silenced). */
  active(): Promise<AlertmanagerAlert[]>
  /** Its alert groups: the labels grouped by and the alerts in each. */
  groups(): Promise<Array<{ labels: Record<string, string>; alerts: AlertmanagerAlert[] }>>
  /** Stops it and removes its folder. */
  close(): Promise<void>
}

const freePort = () =>
  new Promise<number>((done, fail) => {
    const s = createServer()
      .once('error', fail)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number }
        s.close(() => done(port))
      })
  })

/**
 * Starts the machine's Alertmanager with one route grouping by `groupBy` into a receiver that
 * sends nowhere, no clustering, and waits until it is ready (`/-/ready`).
 */
export async function startAlertmanager(options: { groupBy?: string[] } = {}): Promise<TestAlertmanager> {
  if (!ALERTMANAGER_BIN)
    throw new Error('Alertmanager is not installed (apt-get install prometheus-alertmanager)')
  const dir = mkdtempSync(join(tmpdir(), 'noa-alertmanager-'))
  const config = join(dir, 'alertmanager.yml')
  const groupBy = (options.groupBy ?? ['alertname']).map((l) => `'${l}'`).join(', ')
  writeFileSync(
    config,
    `route:\n  receiver: 'none'\n  group_by: [${groupBy}]\n  group_wait: 1s\nreceivers:\n  - name: 'none'\n`,
  )
  const port = await freePort()
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  )
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const close = async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const url = `http://127.0.0.1:${port}`
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`)).json()) as T
  const deadline = Date.now() + 30_000
  while (
    !(await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close()
      throw new Error('Alertmanager did not become ready')
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    active: async () =>
      (await get<AlertmanagerAlert[]>('/api/v2/alerts')).filter((a) => a.status.state === 'active'),
    groups: () => get('/api/v2/alerts/groups'),
    close,
  }
}
