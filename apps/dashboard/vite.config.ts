import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** Where `pnpm dev` sends /api: the agent's default address, or NOA_AGENT_URL. */
const agent = process.env.NOA_AGENT_URL ?? 'http://127.0.0.1:9300'

export default defineConfig({
  plugins: [react()],
  // The agent serves dist/ at `/`, so asset URLs are relative to the page.
  base: './',
  resolve: { conditions: ['@noa/source'] },
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': { target: agent, changeOrigin: true } },
  },
})
