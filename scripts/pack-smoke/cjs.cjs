const [out, ...entries] = process.argv.slice(2)

async function main() {
  const { run } = await import('../checks.mjs')
  const error = await run({ kind: 'cjs', load: (specifier) => require(specifier), entries, out })
  // The CommonJS build's error passes the ESM build's guard and class, and back: the brand is a registered symbol.
  const esm = await import('@noa/store')
  const cjs = require('@noa/store')
  if (esm.StoreError === cjs.StoreError)
    throw new Error('ESM and CJS loaded the same copy: nothing was tested')
  if (!esm.isStoreError(error) || !(error instanceof esm.StoreError))
    throw new Error('ESM does not see a CJS StoreError')
  const back = new esm.StoreError('x')
  if (!cjs.isStoreError(back) || !(back instanceof cjs.StoreError))
    throw new Error('CJS does not see an ESM StoreError')
  const core = await import('@noa/core')
  if (!(error instanceof core.NoaError)) throw new Error('a StoreError is not a NoaError of the ESM core')
  console.log('cjs: ok')
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
