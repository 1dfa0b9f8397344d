import { defaultServerConditions } from 'vite'
import { defineConfig, type ViteUserConfig } from 'vitest/config'

/**
 * Shared vitest settings: tests run against source through the `@noa/source`
 * export condition (no build between an edit and a test), coverage by v8 with
 * the 80 % floor on lines and branches that every package must keep.
 */
export function noaVitest(extra: ViteUserConfig['test'] = {}) {
  // Without vite's `module` condition, which Node does not know: a dependency resolves as Node
  // resolves it (@opentelemetry/api's `module` build cannot be loaded by Node's ESM loader).
  const conditions = ['@noa/source', ...defaultServerConditions.filter((c) => c !== 'module')]
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@noa/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      restoreMocks: true,
      testTimeout: 20_000,
      hookTimeout: 20_000,
      coverage: {
        provider: 'v8',
        include: ['src/**/*.ts'],
        exclude: [
          'src/**/*.test.ts',
          'src/**/*.case.ts',
          'src/**/testing/**',
          'src/**/*.testing.ts',
          'src/**/*.d.ts',
        ],
        reporter: ['text-summary', 'json-summary'],
        thresholds: { lines: 80, branches: 80 },
      },
      ...extra,
    },
  })
}
