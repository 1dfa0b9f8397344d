// A stand-in for the noa agent in the local supervisor's tests: it supervises one service
// with a run directory, prints the start result and the pid as one JSON line, then idles
// until the test kills it (as `kill -9` kills a real agent).
import { createLocalExecutor, localExecutorSchema } from '../local.ts'

const { service, runDir, executor } = JSON.parse(process.argv[2] ?? '{}')
const supervisor = createLocalExecutor(localExecutorSchema.parse({ type: 'local', ...executor }), {
  service,
  runDir,
})
const result = await supervisor.start()
process.stdout.write(`${JSON.stringify({ ...result, pid: supervisor.pid })}\n`)
setInterval(() => {}, 60_000)
