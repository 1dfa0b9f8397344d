// A service for the local supervisor's tests. It logs "up pid=N" at start, one line per HTTP
// request when PORT is set (and crashes with EADDRINUSE when the port is taken, like a real
// server), a numbered line every TICK_MS when set, and with GRANDCHILD=1 starts a copy of
// itself as its own child (as `npm start` starts node) and logs "grandchild pid=N".
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'

console.log(`up pid=${process.pid}`)
if (process.env.GRANDCHILD === '1') {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, GRANDCHILD: '0', PORT: '', TICK_MS: '' },
    stdio: 'inherit',
  })
  console.log(`grandchild pid=${child.pid}`)
}
if (process.env.TICK_MS) {
  let n = 0
  setInterval(() => console.log(`tick ${++n} ${'x'.repeat(40)}`), Number(process.env.TICK_MS))
}
if (process.env.PORT) {
  createServer((req, res) => {
    console.log(`request ${req.url} pid=${process.pid}`)
    res.end(String(process.pid))
  }).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening pid=${process.pid}`))
} else {
  setInterval(() => {}, 60_000)
}
