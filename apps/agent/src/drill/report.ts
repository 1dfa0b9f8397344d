import type { DrillProgress } from './runner.ts'
import type { DrillResult } from './types.ts'

const ms = (v: number | null) =>
  v === null ? '-' : v < 10_000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`

/** The progress line of a running drill. */
export function progressLine(p: DrillProgress): string {
  return `[${p.index + 1}/${p.total}] ${p.item.fault} ${p.item.service} (round ${p.item.round + 1}): ${p.phase}, ${(p.elapsedMs / 1000).toFixed(1)} s`
}

/** The results as a table, one drill a row, reasons under the table. */
export function formatTable(results: readonly DrillResult[]): string {
  const head = [
    'fault',
    'service',
    'round',
    'outcome',
    'detect',
    'alert',
    'repair',
    'actions',
    'double',
    'false alerts',
  ]
  const rows = results.map((r) => [
    r.fault,
    r.service,
    String(r.round + 1),
    r.outcome,
    ms(r.detectMs),
    ms(r.alertMs),
    ms(r.repairMs),
    String(r.actions.length),
    String(r.doubleActions),
    String(r.falseAlerts),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  const notes = results.filter((r) => r.detail)
  if (notes.length > 0) out.push('')
  for (const r of notes) out.push(`${r.fault} ${r.service} (round ${r.round + 1}): ${r.detail}`)
  return out.join('\n')
}

/** The `p`-th percentile (0..1) by nearest rank; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

/** The benchmark figures of a run (what `pnpm drill` prints). */
export interface DrillFigures {
  drills: number
  healed: number
  escalated: number
  failed: number
  /** Share of drills healed or escalated, percent. */
  healedOrEscalatedPercent: number
  crashDetectMs: { p50: number | null; p95: number | null }
  crashRepairMs: { p50: number | null; p95: number | null }
  hangDetectMs: { p50: number | null; p95: number | null }
  memoryDetectMs: { p50: number | null; p95: number | null }
  memoryRepairMs: { p50: number | null; p95: number | null }
  deployDetectMs: { p50: number | null; p95: number | null }
  /** A bad deploy's repair: the rollback, its approval wait included. */
  deployRepairMs: { p50: number | null; p95: number | null }
  doubleActions: number
  falseAlerts: number
}

export function drillFigures(results: readonly DrillResult[]): DrillFigures {
  const of = (fault: string, pick: (r: DrillResult) => number | null) =>
    results.filter((r) => r.fault === fault).flatMap((r) => (pick(r) === null ? [] : [pick(r)!]))
  const both = (values: number[]) => ({ p50: percentile(values, 0.5), p95: percentile(values, 0.95) })
  const count = (o: DrillResult['outcome']) => results.filter((r) => r.outcome === o).length
  const healed = count('healed')
  const escalated = count('escalated')
  return {
    drills: results.length,
    healed,
    escalated,
    failed: count('failed'),
    healedOrEscalatedPercent: results.length === 0 ? 0 : (100 * (healed + escalated)) / results.length,
    crashDetectMs: both(of('crash', (r) => r.detectMs)),
    crashRepairMs: both(of('crash', (r) => r.repairMs)),
    hangDetectMs: both(of('hang', (r) => r.detectMs)),
    memoryDetectMs: both(of('memory', (r) => r.detectMs)),
    memoryRepairMs: both(of('memory', (r) => r.repairMs)),
    deployDetectMs: both(of('bad-deploy', (r) => r.detectMs)),
    deployRepairMs: both(of('bad-deploy', (r) => r.repairMs)),
    doubleActions: results.reduce((n, r) => n + r.doubleActions, 0),
    falseAlerts: results.reduce((n, r) => n + r.falseAlerts, 0),
  }
}

export function formatFigures(f: DrillFigures): string {
  return [
    `drills: ${f.drills} (healed ${f.healed}, escalated ${f.escalated}, failed ${f.failed}); healed or escalated: ${f.healedOrEscalatedPercent.toFixed(1)} %`,
    `crash detect p50 ${ms(f.crashDetectMs.p50)}, p95 ${ms(f.crashDetectMs.p95)}; crash repair p50 ${ms(f.crashRepairMs.p50)}, p95 ${ms(f.crashRepairMs.p95)}`,
    `hang detect p50 ${ms(f.hangDetectMs.p50)}, p95 ${ms(f.hangDetectMs.p95)}`,
    `memory detect p50 ${ms(f.memoryDetectMs.p50)}, p95 ${ms(f.memoryDetectMs.p95)}; memory repair p50 ${ms(f.memoryRepairMs.p50)}, p95 ${ms(f.memoryRepairMs.p95)}`,
    `bad-deploy detect p50 ${ms(f.deployDetectMs.p50)}, p95 ${ms(f.deployDetectMs.p95)}; bad-deploy repair p50 ${ms(f.deployRepairMs.p50)}, p95 ${ms(f.deployRepairMs.p95)}`,
    `double actions: ${f.doubleActions}; false alerts: ${f.falseAlerts}`,
  ].join('\n')
}
