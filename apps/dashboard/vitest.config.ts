import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'

// The 80 % floor on lines and branches of config/vitest.preset.ts, for a browser app:
// happy-dom instead of Node, and .tsx files in both tests and coverage.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@noa/source'] },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-utils/setup.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.{ts,tsx}'],
      exclude: ['src/**/*.test.{ts,tsx}', 'src/main.tsx', 'src/test-utils/**', 'src/**/*.d.ts'],
      reporter: ['text-summary', 'json-summary', 'text'],
      thresholds: { lines: 80, branches: 80 },
    },
  },
})
