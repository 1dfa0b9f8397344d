import { StoreError } from './errors.ts'
import type {
  Aggregation,
  LabelMatcher,
  Labels,
  RangeQuery,
  Sample,
  SampleInput,
  Series,
  SeriesPoints,
  SeriesSelector,
} from './store.ts'

export const MINUTE = 60_000
export const HOUR = 3_600_000

/** A rollup resolution and its bucket size. */
export type RollupResolution = '1m' | '1h'
export const ROLLUP_MS: Readonly<Record<RollupResolution, number>> = { '1m': MINUTE, '1h': HOUR }

/** One rollup bucket of one series; `increase` is the counter increase into and within the bucket. */
export interface RollupRow {
  bucket: number
  count: number
  sum: number
  min: number
  max: number
  last: number
  increase: number
}

/** The canonical identity of a series: name plus labels sorted by key. */
export function seriesKey(name: string, labels: Labels): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]])
  return JSON.stringify([name, sorted])
}

/** Labels with sorted keys, so equal label sets serialise equally; a value that is not a string is refused. */
export function canonicalLabels(labels: Labels | undefined, where = 'labels'): Labels {
  const out: Labels = {}
  if (!labels) return out
  for (const k of Object.keys(labels).sort()) {
    const v = labels[k]
    if (typeof v !== 'string') throw new StoreError(`${where}.${k} must be a string, got ${typeof v}`)
    out[k] = v
  }
  return out
}

/** A series {@link SeriesCache.peek} did not know: its name, checked labels and key. */
export interface SeriesMiss {
  text: string
  key: string
  name: string
  labels: Labels
}

/**
 * Finds series ids fast: most producers send a label set with its keys in the same order
 * every time, so the unsorted JSON text is looked up first and the canonical key only on a miss.
 */
export class SeriesCache {
  readonly #byText = new Map<string, number>()
  readonly #byKey = new Map<string, number>()
  readonly #create: (name: string, labels: Labels, key: string) => number

  constructor(create: (name: string, labels: Labels, key: string) => number) {
    this.#create = create
  }

  id(name: string, labels: Labels | undefined, where: string): number {
    const text = labels === undefined ? name : `${name}\u0000${JSON.stringify(labels)}`
    let id = this.#byText.get(text)
    if (id !== undefined) return id
    const canonical = canonicalLabels(labels, where)
    const key = seriesKey(name, canonical)
    id = this.#byKey.get(key)
    if (id === undefined) {
      id = this.#create(name, canonical, key)
      this.#byKey.set(key, id)
    }
    this.#byText.set(text, id)
    return id
  }

  /**
   * The id of a series when known, without creating it; otherwise the series to create
   * (labels checked and sorted), to {@link remember} once its id is stored for good.
   */
  peek(name: string, labels: Labels | undefined, where: string): number | SeriesMiss {
    const text = labels === undefined ? name : `${name}\u0000${JSON.stringify(labels)}`
    const id = this.#byText.get(text)
    if (id !== undefined) return id
    const canonical = canonicalLabels(labels, where)
    const key = seriesKey(name, canonical)
    const known = this.#byKey.get(key)
    if (known !== undefined) this.#byText.set(text, known)
    return known ?? { text, key, name, labels: canonical }
  }

  remember(miss: SeriesMiss, id: number): void {
    this.#byKey.set(miss.key, id)
    this.#byText.set(miss.text, id)
  }

  /** Forgets everything, e.g. after a transaction that created series rolled back. */
  clear(): void {
    this.#byText.clear()
    this.#byKey.clear()
  }
}

/** Refuses samples that would poison the store, naming the field. */
export function checkSamples(samples: readonly SampleInput[]): void {
  if (!Array.isArray(samples)) throw new StoreError('samples must be an array')
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as SampleInput
    if (typeof s?.name !== 'string' || s.name === '')
      throw new StoreError(`samples[${i}].name must be a non-empty string, got ${JSON.stringify(s?.name)}`)
    if (typeof s.value !== 'number' || Number.isNaN(s.value))
      throw new StoreError(`samples[${i}].value must be a number, got ${String(s.value)}`)
    if (!Number.isFinite(s.at)) throw new StoreError(`samples[${i}].at must be epoch ms, got ${String(s.at)}`)
    // Label values are checked when a label set is first seen (SeriesCache), not on every sample.
    if (s.labels !== undefined && (typeof s.labels !== 'object' || s.labels === null))
      throw new StoreError(
        `samples[${i}].labels must be an object of strings, got ${s.labels === null ? 'null' : typeof s.labels}`,
      )
  }
}

/** A predicate over label sets for a selector; invalid regular expressions are refused here. */
export function labelPredicate(labels: SeriesSelector['labels']): (l: Labels) => boolean {
  if (!labels) return () => true
  const matchers: LabelMatcher[] = Array.isArray(labels)
    ? [...(labels as readonly LabelMatcher[])]
    : Object.entries(labels as Labels).map(([label, value]) => ({ label, op: '=' as const, value }))
  const tests = matchers.map((m) => {
    if (m.op === '=' || m.op === '!=') {
      const want = m.op === '='
      return (l: Labels) => ((l[m.label] ?? '') === m.value) === want
    }
    if (m.op !== '=~' && m.op !== '!~')
      throw new StoreError(`label matcher op must be =, !=, =~ or !~, got ${String(m.op)}`)
    let re: RegExp
    try {
      re = new RegExp(`^(?:${m.value})$`)
    } catch (cause) {
      throw new StoreError(
        `label matcher ${m.label}${m.op}${JSON.stringify(m.value)} is not a valid regular expression`,
        {
          cause,
        },
      )
    }
    const want = m.op === '=~'
    return (l: Labels) => re.test(l[m.label] ?? '') === want
  })
  return (l) => tests.every((t) => t(l))
}

function bucketOf(t: number, step: number): number {
  return Math.floor(t / step) * step
}

/**
 * Folds sorted raw points into one point per step. `prev` is the point just before the range
 * (for rate). A step's rate is its increase over the step, or over the time since the point
 * before its first one when that is longer: a step shorter than the gap between samples (or
 * one after a gap in the data) does not count the whole gap's increase as made within it.
 */
export function aggregateRaw(
  points: ReadonlyArray<readonly [number, number]>,
  prev: readonly [number, number] | undefined,
  step: number,
  aggregation: Aggregation,
): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let bucket = Number.NaN
  let acc = 0
  let count = 0
  let covered = 0
  let last = prev?.[1]
  let lastAt = prev?.[0]
  const flush = () => {
    if (count === 0) return
    const value =
      aggregation === 'avg'
        ? acc / count
        : aggregation === 'rate'
          ? acc / (Math.max(step, covered) / 1000)
          : aggregation === 'count'
            ? count
            : acc
    out.push([bucket, value])
  }
  for (const [t, v] of points) {
    const b = bucketOf(t, step)
    if (b !== bucket) {
      flush()
      bucket = b
      count = 0
      covered = 0
      acc =
        aggregation === 'min'
          ? Number.POSITIVE_INFINITY
          : aggregation === 'max'
            ? Number.NEGATIVE_INFINITY
            : 0
    }
    count++
    if (aggregation === 'avg') acc += v
    else if (aggregation === 'min') acc = Math.min(acc, v)
    else if (aggregation === 'max') acc = Math.max(acc, v)
    else if (aggregation === 'last') acc = v
    else {
      acc += increaseOf(last, v)
      if (lastAt !== undefined) covered += t - lastAt
    }
    last = v
    lastAt = t
  }
  flush()
  return out
}

/** Counter increase from `prev` to `v`: a drop is a reset, so the whole new value counts. */
function increaseOf(prev: number | undefined, v: number): number {
  if (prev === undefined) return 0
  return v >= prev ? v - prev : v
}

/** Rolls sorted raw points up into buckets of `bucketMs`. */
export function rollupRaw(
  points: ReadonlyArray<readonly [number, number]>,
  prev: number | undefined,
  bucketMs: number,
): RollupRow[] {
  const rows: RollupRow[] = []
  let row: RollupRow | undefined
  let last = prev
  for (const [t, v] of points) {
    const b = bucketOf(t, bucketMs)
    if (!row || row.bucket !== b) {
      row = { bucket: b, count: 0, sum: 0, min: v, max: v, last: v, increase: 0 }
      rows.push(row)
    }
    row.count++
    row.sum += v
    row.min = Math.min(row.min, v)
    row.max = Math.max(row.max, v)
    row.last = v
    row.increase += increaseOf(last, v)
    last = v
  }
  return rows
}

/** Merges sorted finer rollup rows into coarser buckets of `bucketMs`. */
export function mergeRollups(rows: readonly RollupRow[], bucketMs: number): RollupRow[] {
  const out: RollupRow[] = []
  let acc: RollupRow | undefined
  for (const r of rows) {
    const b = bucketOf(r.bucket, bucketMs)
    if (!acc || acc.bucket !== b) {
      acc = { ...r, bucket: b }
      out.push(acc)
      continue
    }
    acc.count += r.count
    acc.sum += r.sum
    acc.min = Math.min(acc.min, r.min)
    acc.max = Math.max(acc.max, r.max)
    acc.last = r.last
    acc.increase += r.increase
  }
  return out
}

/** Folds sorted rollup rows into one point per step (the step is a multiple of the rollup bucket). */
export function aggregateRollups(
  rows: readonly RollupRow[],
  step: number,
  aggregation: Aggregation,
): Array<[number, number]> {
  return mergeRollups(rows, step).map((r) => {
    const value =
      aggregation === 'avg'
        ? r.sum / r.count
        : aggregation === 'min'
          ? r.min
          : aggregation === 'max'
            ? r.max
            : aggregation === 'last'
              ? r.last
              : aggregation === 'count'
                ? r.count
                : r.increase / (step / 1000)
    return [r.bucket, value]
  })
}

/** The reads a backend provides so that range queries mean the same on every backend. */
export interface SampleReader {
  findSeries(name: string | undefined): Promise<Series[]>
  /** Raw points with `from <= t < to`, oldest first. */
  rawPoints(seriesId: number, from: number, to: number): Promise<Array<[number, number]>>
  /** The last raw point before `before`, `[ts, value]`. */
  lastRawBefore(seriesId: number, before: number): Promise<[number, number] | undefined>
  /** The newest `n` raw points, newest first. */
  latestRaw(seriesId: number, n: number): Promise<Array<[number, number]>>
  /** Rollup rows with `from <= bucket < to`, oldest first. */
  rollups(resolution: RollupResolution, seriesId: number, from: number, to: number): Promise<RollupRow[]>
  /** Everything before this time is rolled up at `resolution`. */
  watermark(resolution: RollupResolution): Promise<number | undefined>
  /** Optional, faster in SQL: raw points folded per step with avg, min, max, last or count. */
  rawPerStep?(
    seriesId: number,
    from: number,
    to: number,
    step: number,
    aggregation: Exclude<Aggregation, 'rate'>,
  ): Promise<Array<[number, number]>>
  /** Optional, faster in SQL: rollup rows merged per step (a multiple of the resolution). */
  rollupsPerStep?(
    resolution: RollupResolution,
    seriesId: number,
    from: number,
    to: number,
    step: number,
  ): Promise<RollupRow[]>
}

const AGGREGATIONS = new Set<Aggregation>(['avg', 'min', 'max', 'last', 'rate', 'count'])

function checkRange(q: RangeQuery): void {
  const problems: string[] = []
  if (typeof q.name !== 'string' || q.name === '')
    problems.push(`name must be a non-empty string, got ${JSON.stringify(q.name)}`)
  if (!Number.isFinite(q.start) || !Number.isFinite(q.end) || q.end < q.start)
    problems.push(`start and end must be epoch ms with start <= end, got ${q.start} and ${q.end}`)
  if (!Number.isInteger(q.step) || q.step < 1)
    problems.push(`step must be a whole number of ms >= 1, got ${q.step}`)
  else if ((q.end - q.start) / q.step > 1_000_000)
    problems.push(`range holds ${Math.ceil((q.end - q.start) / q.step)} steps, at most 1000000 are allowed`)
  if (q.aggregation !== undefined && !AGGREGATIONS.has(q.aggregation))
    problems.push(
      `aggregation must be one of avg, min, max, last, rate, count, got ${JSON.stringify(q.aggregation)}`,
    )
  const res = q.resolution
  if (res !== undefined && res !== 'auto' && res !== 'raw' && res !== '1m' && res !== '1h')
    problems.push(`resolution must be auto, raw, 1m or 1h, got ${JSON.stringify(res)}`)
  if ((res === '1m' || res === '1h') && Number.isInteger(q.step) && q.step % ROLLUP_MS[res] !== 0)
    problems.push(`step must be a multiple of ${ROLLUP_MS[res]} ms to read ${res} rollups, got ${q.step}`)
  if (problems.length > 0) throw new StoreError(`invalid range query: ${problems.join('; ')}`)
}

/** Series of `name` (all when undefined) whose labels satisfy `labels`, by id. */
export async function selectSeries(
  reader: SampleReader,
  name: string | undefined,
  labels: SeriesSelector['labels'],
) {
  const match = labelPredicate(labels)
  const all = await reader.findSeries(name)
  return all.filter((s) => match(s.labels)).sort((a, b) => a.id - b.id)
}

/**
 * Answers a range query the same way on every backend: 1-hour rollups up to their
 * watermark, then 1-minute rollups, then raw samples, each used only when it divides
 * the step; a step's bucket is always read whole from one resolution.
 */
export async function queryRange(reader: SampleReader, q: RangeQuery): Promise<SeriesPoints[]> {
  checkRange(q)
  const aggregation = q.aggregation ?? 'avg'
  const resolution = q.resolution ?? 'auto'
  const series = await selectSeries(reader, q.name, q.labels)
  const start = bucketOf(q.start, q.step)
  // Plan segments [from, to) per resolution, coarsest first.
  const plan: Array<{ res: RollupResolution | 'raw'; from: number; to: number }> = []
  if (resolution === 'raw') plan.push({ res: 'raw', from: start, to: q.end })
  else if (resolution === '1m' || resolution === '1h') plan.push({ res: resolution, from: start, to: q.end })
  else {
    let from = start
    for (const res of ['1h', '1m'] as const) {
      if (q.step % ROLLUP_MS[res] !== 0 || from >= q.end) continue
      const wm = await reader.watermark(res)
      if (wm === undefined) continue
      const to = Math.min(q.end, bucketOf(wm, q.step))
      if (to > from) {
        plan.push({ res, from, to })
        from = to
      }
    }
    if (from < q.end) plan.push({ res: 'raw', from, to: q.end })
  }
  const out: SeriesPoints[] = []
  for (const s of series) {
    const points: Array<[number, number]> = []
    for (const seg of plan) {
      if (seg.res === 'raw' && aggregation !== 'rate' && reader.rawPerStep) {
        points.push(...(await reader.rawPerStep(s.id, seg.from, seg.to, q.step, aggregation)))
      } else if (seg.res === 'raw') {
        const raw = await reader.rawPoints(s.id, seg.from, seg.to)
        const prev = aggregation === 'rate' ? await reader.lastRawBefore(s.id, seg.from) : undefined
        points.push(...aggregateRaw(raw, prev, q.step, aggregation))
      } else {
        const rows = reader.rollupsPerStep
          ? await reader.rollupsPerStep(seg.res, s.id, seg.from, seg.to, q.step)
          : await reader.rollups(seg.res, s.id, seg.from, seg.to)
        points.push(...aggregateRollups(rows, q.step, aggregation))
      }
    }
    out.push({ series: s, points })
  }
  return out
}

/** The latest `n` samples of the selected series, newest first. */
export async function queryRecent(
  reader: SampleReader,
  n: number,
  selector?: SeriesSelector,
): Promise<Sample[]> {
  if (!Number.isInteger(n) || n < 0)
    throw new StoreError(`recent(n): n must be a whole number >= 0, got ${n}`)
  if (n === 0) return []
  const series = await selectSeries(reader, selector?.name, selector?.labels)
  const all: Sample[] = []
  for (const s of series)
    for (const [at, value] of await reader.latestRaw(s.id, n))
      all.push({ name: s.name, labels: s.labels, value, at })
  return all.sort((a, b) => b.at - a.at).slice(0, n)
}
