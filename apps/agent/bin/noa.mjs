#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'

// The agent is a small daemon, not a compute server. Two V8 settings keep its resident set
// small (issue 7's footprint: under 80 MB with 50 services) and apply however it is run
// (`noa start`, the watchdog's child, the Docker image), since every path enters here:
// - the young generation keeps its initial size instead of doubling under bursts (a metrics
//   round, 1,000 SSE writes): scavenges stay cheap and the peak RSS stays near the average;
// - the old generation may grow 40 % over what the last full GC kept, not V8's 2-4x: with the
//   small young generation, every check result (kept until the next one, 30 s) and every rule
//   evaluation over a large fleet is promoted, and at 10,000 services 70 MB live became 310 MB
//   resident before a full GC ran; with this, 160-190 MB (bench:scale), for 1-2 % more CPU.
// TurboFan stays on. It was once capped (--max-opt=2) to save its memory, but Node 20's V8 has
// no Maglev, so that left the hot paths (checks, rule rounds, /api/status) on baseline code:
// measured on 2026-12-06, TurboFan costs 3 MB of RSS at 50 services (76 MB), 8 MB at 1,000 and
// 28 MB at 10,000, and saves a quarter of the CPU per check and two thirds per /api/status answer.
// Both flags are read by V8 as it runs, so setting them before anything is compiled works.
// NOA_V8_FLAGS replaces them (an empty value keeps V8's defaults).
setFlagsFromString(process.env.NOA_V8_FLAGS ?? '--semi-space-growth-factor=1 --heap-growing-percent=40')

const { main } = await import('../dist/cli.js').catch((error) => {
  // a checkout that was never built: say what to run instead of a module stack trace
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.js')) throw error
  console.error(
    `noa is not built yet (${error.message}): run \`pnpm build\` (or \`pnpm start\`, which builds) first`,
  )
  process.exit(1)
})

// Exit explicitly: `noa start` resolves once the agent has shut down, and a stray socket of
// a dependency must not keep the process alive after that.
main(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  },
)
