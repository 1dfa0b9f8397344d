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
    splitting: false,
    treeshake: true,
    ...extra,
  })
}
