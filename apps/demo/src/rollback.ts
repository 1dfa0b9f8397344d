/**
 * The demo services' rollback command, for the `rollback` of their executor: asks the service
 * at `<origin>` to run its good version again (`DELETE <origin>/drill/deploy`). Exits 0 once it
 * did, 1 with the reason otherwise.
 *
 * ```sh
 * node apps/demo/dist/rollback.js http://127.0.0.1:9100/ 1.0.0
 * ```
 */
const [origin, version] = process.argv.slice(2)
if (!origin) {
  console.error('usage: rollback.js <service origin> [version]')
  process.exit(2)
}
try {
  // the knob is at the origin, whatever path the URL given has
  const url = new URL('/drill/deploy', origin)
  const res = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(5000) })
  const body = await res.text()
  if (!res.ok) throw new Error(`DELETE ${url} answered ${res.status}: ${body}`)
  console.log(`rolled back${version ? ` to ${version}` : ''}: ${body}`)
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
}

// a module (its top-level await needs one); nothing imports it
export {}
