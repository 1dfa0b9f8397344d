import { afterEach, describe, expect, it } from 'vitest'
import { type HookServer, startAgent, startHookServer, type TestAgent, until } from './helpers.ts'

/** A `${NAME}` reference as written in a config file. */
const ref = (name: string) => ['$', '{', name, '}'].join('')
const TOKEN = 'nightly-backup-0123456789abcdef'

describe('push checks', () => {
  let hooks: HookServer | undefined
  let t: TestAgent | undefined
  afterEach(async () => {
    await t?.close()
    await hooks?.close()
    t = hooks = undefined
  })

  it('should follow a job through its beats: healthy, down at once when it says so, alerted, and back', async () => {
    hooks = await startHookServer({})
    t = await startAgent(
      {
        healthChecks: { interval: 60_000, timeout: 1000, retries: 0 },
        metrics: { enabled: false },
        alerting: {
          channels: { ops: { type: 'webhook', url: ref('HOOK_URL') } },
          groupWait: 0,
          rules: [
            { name: 'service-down', condition: 'health_check_failed && critical', severity: 'critical' },
          ],
        },
        services: [
          // A nightly job: one beat a day, so only the job's own words can turn it down within the test.
          {
            name: 'backup',
            check: { type: 'push', token: ref('NOA_PUSH_TOKEN_BACKUP'), period: 86_400_000 },
          },
        ],
      },
      { env: { NOA_PUSH_TOKEN_BACKUP: TOKEN, HOOK_URL: `${hooks.base}/hook` } },
    )
    const beat = (query = '') => fetch(`${t!.url}/api/push/${TOKEN}${query}`)
    const state = async () =>
      ((await (await fetch(`${t!.url}/api/services/backup`)).json()) as { service: { state: string } })
        .service.state

    expect((await beat()).status).toBe(200)
    await until(async () => (await state()) === 'healthy', 5000, 'healthy after the first beat')

    const down = await beat('?status=down&msg=tar%20exited%202')
    expect(await down.json()).toEqual({ ok: true, service: 'backup' })
    await until(async () => (await state()) === 'unhealthy', 5000, 'unhealthy at the down beat')
    await until(() => hooks!.mentions('backup').length > 0, 10_000, 'the service-down notification')
    expect(JSON.parse(hooks.mentions('backup')[0]!)).toMatchObject({
      status: 'firing',
      commonLabels: { service: 'backup' },
    })
    // What a person sees on the service: the job's own words.
    const seen = (await (await fetch(`${t.url}/api/services/backup`)).json()) as {
      service: { lastResult: { message: string } }
      checkType: string
    }
    expect(seen.service.lastResult.message).toBe('the last beat said down: tar exited 2')
    expect(seen.checkType).toBe('push')

    await beat('?status=up&msg=retried')
    await until(async () => (await state()) === 'healthy', 5000, 'healthy again at the next beat')
    expect((await fetch(`${t.url}/api/push/not-a-known-token-0000`)).status).toBe(404)
    const exposition = await (await fetch(`${t.url}/metrics`)).text()
    expect(exposition).toContain('noa_push_beats_total{result="accepted"} 3')
    expect(exposition).toContain('noa_push_beats_total{result="unknown"} 1')
    // The token is the job's credential: no answer of the API shows it.
    const detail = await (await fetch(`${t.url}/api/services/backup`)).text()
    expect(detail).not.toContain(TOKEN)
    expect(await (await fetch(`${t.url}/api/status`)).text()).not.toContain(TOKEN)
  })
})
