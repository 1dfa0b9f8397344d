import { createHash } from 'node:crypto'
import type { DayBar, PublicIncident, PublicService, StatusPageBody, UptimeFigures } from './types.ts'

/** Seconds between reloads of the page in a browser. */
export const STATUS_PAGE_REFRESH_SECONDS = 60

// One inline stylesheet, allowed by its hash: the page is one request and needs no script.
const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1d2330;--muted:#5b6474;--line:#e3e6eb;
--up:#2fb36b;--minor:#9bcf4f;--partial:#f0a83a;--down:#e0493f;--none:#c9ced6;--maint:#3d7bd9}
@media (prefers-color-scheme:dark){:root{--bg:#12151b;--card:#1b2029;--text:#e6e9ef;--muted:#9aa3b2;--line:#2b313c;--none:#3a414d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:920px;margin:0 auto;padding:32px 16px 48px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 12px}
.description,.muted{color:var(--muted)}
.banner{margin:24px 0;padding:16px 20px;border-radius:8px;color:#fff;font-weight:600;font-size:18px}
.banner.operational{background:var(--up)}.banner.maintenance{background:var(--maint)}.banner.partial_outage{background:var(--partial)}.banner.major_outage{background:var(--down)}
.group{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 16px;padding:4px 20px}
.group>h3{margin:12px 0 0;font-size:15px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.service{padding:14px 0;border-bottom:1px solid var(--line)}
.service:last-child{border-bottom:0}
.head{display:flex;justify-content:space-between;gap:12px;align-items:baseline}
.name{font-weight:600}
.state{font-size:14px;font-weight:600}
.state.operational{color:var(--up)}.state.outage{color:var(--down)}.state.unknown{color:var(--muted)}.state.maintenance{color:var(--maint)}
.bars{display:flex;gap:2px;height:34px;margin:10px 0 4px}
.bar{flex:1 1 0;min-width:2px;border-radius:2px;background:var(--none)}
.bar.up{background:var(--up)}.bar.minor{background:var(--minor)}.bar.partial{background:var(--partial)}.bar.down{background:var(--down)}
.axis{display:flex;justify-content:space-between;font-size:12px;color:var(--muted)}
.uptime{display:flex;flex-wrap:wrap;gap:4px 20px;margin-top:6px;font-size:13px;color:var(--muted)}
.uptime b{color:var(--text);font-weight:600}
.incident{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 20px;margin:0 0 12px}
.incident h3{margin:0;font-size:16px}
.incident ol{list-style:none;margin:10px 0 0;padding:0}
.incident li{padding:6px 0;border-top:1px solid var(--line);font-size:14px}
.kind{font-weight:600;margin-right:6px}
footer{margin-top:40px;font-size:12px;color:var(--muted)}
`
const CSS_HASH = createHash('sha256').update(CSS).digest('base64')

/**
 * The page's own policy: nothing but its inline stylesheet (by hash), no script, no frame.
 * The agent's other headers (nosniff, no referrer, DENY framing) are added as for every answer.
 */
export const STATUS_PAGE_CSP = `default-src 'none'; style-src 'sha256-${CSS_HASH}'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text made safe for HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string)
}

const STATE_TEXT = {
  operational: 'Operational',
  outage: 'Outage',
  unknown: 'Unknown',
  maintenance: 'Under maintenance',
} as const satisfies Record<PublicService['state'], string>

const pct = (value: number | null) =>
  value === null ? 'no data' : `${value.toFixed(value === 100 ? 0 : 2)} %`

const barClass = (uptime: number | null) =>
  uptime === null
    ? 'none'
    : uptime >= 99.9
      ? 'up'
      : uptime >= 99
        ? 'minor'
        : uptime >= 95
          ? 'partial'
          : 'down'

/** `2026-12-07 14:05 UTC`: the page is the same for every reader, so it speaks UTC. */
const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`

function bar(day: DayBar): string {
  const title = `${day.date}: ${day.uptime === null ? 'no data' : `${day.uptime.toFixed(3)} % uptime`}`
  return `<span class="bar ${barClass(day.uptime)}" title="${escapeHtml(title)}"></span>`
}

function uptime(figures: UptimeFigures): string {
  const item = (label: string, value: number | null) => `<span>${label} <b>${pct(value)}</b></span>`
  return `<div class="uptime">${item('24 hours', figures['24h'])}${item('7 days', figures['7d'])}${item(
    '30 days',
    figures['30d'],
  )}${item('90 days', figures['90d'])}</div>`
}

function service(s: PublicService): string {
  const days = s.days.length
  return `<div class="service" data-service="${escapeHtml(s.name)}">
<div class="head"><span class="name">${escapeHtml(s.name)}</span><span class="state ${s.state}">${STATE_TEXT[s.state]}</span></div>
<div class="bars" aria-label="uptime per day, the last ${days} days">${s.days.map(bar).join('')}</div>
<div class="axis"><span>${days} days ago</span><span>today</span></div>
${uptime(s.uptime)}
</div>`
}

function incident(i: PublicIncident): string {
  const period = `${when(i.openedAt)} – ${i.resolvedAt === undefined ? 'ongoing' : when(i.resolvedAt)}`
  const updates = [...i.updates]
    .reverse()
    .map(
      (u) =>
        `<li><span class="kind">${escapeHtml(u.kind)}</span>${escapeHtml(u.text)} <span class="muted">${when(u.at)}</span></li>`,
    )
    .join('')
  return `<article class="incident">
<h3>${escapeHtml(i.title)}</h3>
<div class="muted">${escapeHtml(i.service)} · ${escapeHtml(i.state)} · ${escapeHtml(period)}</div>
${updates ? `<ol>${updates}</ol>` : ''}
</article>`
}

/**
 * The status page as one HTML document: title, overall banner, groups of services with a bar
 * per day and their uptime, recent incidents with their updates. Every value is escaped; the
 * page reloads itself every {@link STATUS_PAGE_REFRESH_SECONDS} s (a meta refresh, no script).
 */
export function renderStatusPage(page: StatusPageBody): string {
  const groups = page.groups
    .map(
      (g) =>
        `<section class="group">${g.name === null ? '' : `<h3>${escapeHtml(g.name)}</h3>`}${g.services.map(service).join('\n')}</section>`,
    )
    .join('\n')
  const incidents =
    page.incidents.length === 0
      ? '<p class="muted">No incidents reported.</p>'
      : page.incidents.map(incident).join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${STATUS_PAGE_REFRESH_SECONDS}">
<title>${escapeHtml(page.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
${page.description ? `<p class="description">${escapeHtml(page.description)}</p>` : ''}
<div class="banner ${page.status}" role="status">${escapeHtml(page.banner)}</div>
${groups || '<p class="muted">No services are published on this page.</p>'}
${page.omittedServices ? `<p class="muted">${page.omittedServices} more services are not shown.</p>` : ''}
<h2>Recent incidents</h2>
${incidents}
<footer>Updated ${when(page.generatedAt)} · refreshes every ${STATUS_PAGE_REFRESH_SECONDS} s</footer>
</main>
</body>
</html>
`
}
