import { defineConfig, type Options } from 'tsup'

/**
 * The one build preset every @noa package uses: ESM + CJS + .d.ts/.d.cts per entry.
 * Kept to tsup's standard options so a move to another bundler stays mechanical.
 */
export function noaTsup(entry: Record<string, string> = { index: 'src/index.ts' }, extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    // Code shared by several entries goes into one chunk (CJS too), so a class such as StoreError
    // exists once per build and `instanceof` holds across entry points.
    splitting: true,
    treeshake: true,
    ...extra,
  })
}
