import { run } from '../checks.mjs'

const [out, ...entries] = process.argv.slice(2)
await run({ kind: 'esm', load: (specifier) => import(specifier), entries, out })
console.log('esm: ok')
