import { useEffect, useState } from 'react'
import { ConnectionBanner } from './components/connection-banner.tsx'
import { StatusBadge } from './components/status-badge.tsx'
import { TokenForm } from './components/token-form.tsx'
import { useSse } from './data/sse.ts'
import { useSummary } from './data/summary.ts'
import { OverviewPage } from './pages/overview.page.tsx'
import { ServicePage } from './pages/service.page.tsx'

/** The page a hash names: `#/services/<name>` or the overview. */
export type Route = { page: 'overview' } | { page: 'service'; name: string }

/** Reads a location hash; anything unknown is the overview. */
export function parseRoute(hash: string): Route {
  const match = /^#\/services\/([^/?]+)/.exec(hash)
  if (match) {
    try {
      return { page: 'service', name: decodeURIComponent(match[1]!) }
    } catch {
      return { page: 'overview' }
    }
  }
  return { page: 'overview' }
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash))
  useEffect(() => {
    const onHash = () => {
      setRoute(parseRoute(window.location.hash))
      window.scrollTo?.(0, 0)
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  return route
}

/** The dashboard: header (overall status, connection, token) and the routed page. */
export function App() {
  const route = useRoute()
  const summary = useSummary()
  const connection = useSse()
  const overall = summary.data?.health
  useEffect(() => {
    document.title = overall ? `noa — ${overall}` : 'noa'
  }, [overall])
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <h1 className="brand">
          <a href="#/">noa</a>
        </h1>
        {overall ? <StatusBadge state={overall} prefix="Fleet" /> : null}
        <ConnectionBanner connection={connection} updatedAt={summary.updatedAt} error={summary.error} />
        <TokenForm />
      </header>
      <main id="main" tabIndex={-1} className={summary.error ? 'is-stale' : undefined}>
        {route.page === 'service' ? <ServicePage name={route.name} /> : <OverviewPage summary={summary} />}
      </main>
    </>
  )
}
