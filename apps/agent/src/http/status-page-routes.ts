import type { Context, Hono } from 'hono'
import { renderStatusPage, STATUS_PAGE_CSP } from '../status-page/html.ts'
import type { StatusPageBody } from '../status-page/types.ts'

/**
 * Paths anyone may read, with or without a token, whatever the agent requires for other reads:
 * the public status page and its JSON. They show only the services marked `public: true`.
 */
export const PUBLIC_PATHS = Object.freeze(['/status', '/api/status-page'] as const)

/** What the status page routes need: the page, cached and computed by the agent. */
export interface StatusPageRoutesDeps {
  page(): Promise<StatusPageBody>
}

/** Shared caches may keep the page as long as the agent does. */
const CACHE = 'public, max-age=30'

const unknownParameter = (query: Record<string, string>) => {
  const key = Object.keys(query)[0]
  return key === undefined
    ? undefined
    : `${JSON.stringify(key.slice(0, 64))}: unknown parameter; this page takes none`
}

/**
 * The public status page (API.md, "Status page"): `GET /api/status-page` (JSON) and
 * `GET /status` (HTML for customers). No token; no query parameters (400 for any).
 * When the page cannot be computed and none was before, 503.
 */
export function registerStatusPageRoutes<E extends object>(app: Hono<E>, deps: StatusPageRoutesDeps): void {
  /** The page, or the answer instead of it: 400 for any query parameter, `failed()` when it cannot be computed. */
  const pageOr = async (c: Context<E>, failed: () => Response): Promise<StatusPageBody | Response> => {
    const problem = unknownParameter(c.req.query())
    if (problem) return c.json({ error: problem }, 400)
    try {
      return await deps.page()
    } catch {
      return failed()
    }
  }
  app.get('/api/status-page', async (c) => {
    const page = await pageOr(c, () =>
      c.json({ error: 'the status page cannot be computed now; try again later' }, 503),
    )
    return page instanceof Response ? page : c.json(page, 200, { 'cache-control': CACHE })
  })
  app.get('/status', async (c) => {
    const page = await pageOr(c, () =>
      c.text('The status page cannot be computed now; try again later.', 503, {
        'cache-control': 'no-store',
        'retry-after': '30',
      }),
    )
    if (page instanceof Response) return page
    return c.html(renderStatusPage(page), 200, {
      'cache-control': CACHE,
      'content-security-policy': STATUS_PAGE_CSP,
    })
  })
}
