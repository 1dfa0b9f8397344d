// A delivering process for restart.test.ts: opens the SQLite outbox, optionally writes
// notifications, then delivers them to the webhook until killed.
import { noopLogger, systemClock } from '@noa/core'
import { createSqliteStore } from '@noa/store/sqlite'
import { createDeliveryWorker, createWebhookChannel } from '../src/index.ts'

const [dbPath = '', url = '', count = '0'] = process.argv.slice(2)
const store = await createSqliteStore({ path: dbPath })
const n = Number(count)
if (n > 0) {
  const now = Date.now()
  await store.outbox.enqueue(
    Array.from({ length: n }, (_, i) => ({
      channel: 'ops',
      idempotencyKey: `alert-${i}`,
      payload: { version: '4', groupKey: `seq-${i}`, status: 'firing', receiver: 'ops', alerts: [] },
      createdAt: now,
    })),
  )
}
const worker = createDeliveryWorker({
  outbox: store.outbox,
  channels: {
    ops: createWebhookChannel(
      { type: 'webhook', url, timeout: 300 },
      { clock: systemClock, logger: noopLogger },
    ),
  },
  backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
  pollIntervalMs: 200,
  onAttempt: (d, r) => process.stdout.write(`${JSON.stringify({ key: d.idempotencyKey, ok: r.ok })}\n`),
})
worker.start()
process.stdout.write('ready\n')
// Worker timers are unref'd; keep the process alive until it is killed.
setInterval(() => {}, 1 << 30)
