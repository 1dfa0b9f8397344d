import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { createApiClient } from '../data/api.ts'
import { LiveProvider } from '../data/sse.ts'
import type { FakeAgent } from './fake-agent.ts'

/** Renders `ui` under a LiveProvider talking to `agent` (the stream on unless `live` is false). */
export function renderLive(
  ui: ReactElement,
  agent: FakeAgent,
  options: { live?: boolean; refreshMs?: number } = {},
) {
  const api = createApiClient({ fetch: agent.fetch })
  return render(
    <LiveProvider
      api={api}
      live={options.live ?? true}
      refreshMs={options.refreshMs ?? 5000}
      retryMs={10}
      maxRetryMs={100}
    >
      {ui}
    </LiveProvider>,
  )
}
