import type { BurnWindow } from '@noa/alerts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** The burn-rate windows of the SRE workbook's alerts, in ms. */
export const BURN_WINDOWS: Readonly<Record<BurnWindow, number>> = {
  '5m': 5 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '6h': 6 * HOUR,
  '3d': 3 * DAY,
}

/** The fraction of errors an objective allows: 0.001 at 99.9 %. */
export function allowedErrors(objective: number): number {
  return 1 - objective / 100
}

/** How fast errors spend the budget: 1 spends it in exactly the SLO window, 14.4 in 1/14.4 of it. */
export function burnRate(errorRatio: number, objective: number): number {
  return errorRatio / allowedErrors(objective)
}

/** The fraction of the error budget left: 1 untouched, 0 spent, below 0 overspent. */
export function budgetRemaining(errorRatio: number, objective: number): number {
  return 1 - errorRatio / allowedErrors(objective)
}

/**
 * The step a window is read at: about a twelfth of it, whole minutes, whole hours from 12 h
 * up, so the store answers from its 1-minute and 1-hour rollups and one query of the whole
 * fleet gives at most 13 points per service, whatever the window.
 */
export function stepFor(windowMs: number): number {
  const unit = windowMs >= 12 * HOUR ? HOUR : MINUTE
  return Math.max(unit, Math.floor(windowMs / 12 / unit) * unit)
}

/** A point of a range answer: the start of its step and the step's value. */
export type StepPoint = readonly [number, number]

/**
 * How much of step `[at, at + step)` lies in `[from, to)`. The window's first step starts
 * before the window (steps are aligned to the epoch), so it counts for its part inside.
 */
function overlap(at: number, step: number, from: number, to: number): number {
  return Math.max(0, Math.min(at + step, to) - Math.max(at, from))
}

/**
 * The time-weighted average of per-step values over `[from, to)`, or undefined without data.
 * A step without samples (the agent was down) is left out, not counted as good or bad.
 */
export function windowAverage(points: readonly StepPoint[], step: number, from: number, to: number) {
  let sum = 0
  let weight = 0
  for (const [at, v] of points) {
    const w = overlap(at, step, from, to)
    sum += v * w
    weight += w
  }
  return weight > 0 ? sum / weight : undefined
}

/**
 * The fraction of requests over a latency threshold in `[from, to)`, from per-step rates of
 * the requests under it (`good`) and of all requests: 1 - good / total, or undefined when
 * there were no requests.
 */
export function windowSlowRatio(
  good: readonly StepPoint[],
  total: readonly StepPoint[],
  step: number,
  from: number,
  to: number,
): number | undefined {
  const sum = (points: readonly StepPoint[]) =>
    points.reduce((acc, [at, v]) => acc + v * overlap(at, step, from, to), 0)
  const all = sum(total)
  if (!(all > 0)) return undefined
  return Math.min(1, Math.max(0, 1 - sum(good) / all))
}
