import { useEffect, useState } from 'react'
import { ConnectionBanner } from './components/connection-banner.tsx'
import { StatusBadge } from './components/status-badge.tsx'
import { TokenForm } from './components/token-form.tsx'
import { useSse } from './data/sse.ts'
import { useSummary } from './data/summary.ts'
import { DrillsPage } from './pages/drills.page.tsx'
import { IncidentPage } from './pages/incident.page.tsx'
import { IncidentsPage } from './pages/incidents.page.tsx'
import { OverviewPage } from './pages/overview.page.tsx'
import { ServicePage } from './pages/service.page.tsx'

/** The page a hash names: `#/services/<name>`, `#/drills`, `#/incidents[/<id>]` or the overview. */
export type Route =
  | { page: 'overview' }
  | { page: 'service'; name: string }
  | { page: 'drills' }
  | { page: 'incidents' }
  | { page: 'incident'; id: string }

/** Reads a location hash; anything unknown is the overview. */
export function parseRoute(hash: string): Route {
  if (/^#\/drills\/?(\?.*)?$/.test(hash)) return { page: 'drills' }
  if (/^#\/incidents\/?(\?.*)?$/.test(hash)) return { page: 'incidents' }
  const incident = /^#\/incidents\/([^/?]+)/.exec(hash)
  if (incident) {
    try {
      return { page: 'incident', id: decodeURIComponent(incident[1]!) }
    } catch {
      return { page: 'incidents' }
    }
  }
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
        <nav aria-label="Pages" className="pages">
          <a
            href="#/"
            aria-current={route.page === 'overview' || route.page === 'service' ? 'page' : undefined}
          >
            Overview
          </a>
          <a
            href="#/incidents"
            aria-current={route.page === 'incidents' || route.page === 'incident' ? 'page' : undefined}
          >
            Incidents
          </a>
          <a href="#/drills" aria-current={route.page === 'drills' ? 'page' : undefined}>
            Drills
          </a>
        </nav>
        {overall ? <StatusBadge state={overall} prefix="Fleet" /> : null}
        <ConnectionBanner connection={connection} updatedAt={summary.updatedAt} error={summary.error} />
        <TokenForm />
      </header>
      <main id="main" tabIndex={-1} className={summary.error ? 'is-stale' : undefined}>
        {route.page === 'service' ? (
          <ServicePage name={route.name} />
        ) : route.page === 'drills' ? (
          <DrillsPage />
        ) : route.page === 'incidents' ? (
          <IncidentsPage />
        ) : route.page === 'incident' ? (
          <IncidentPage id={route.id} />
        ) : (
          <OverviewPage summary={summary} />
        )}
      </main>
    </>
  )
}
