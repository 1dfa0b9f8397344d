import type { ExpositionFormat } from './exposition/text.ts'
import type { Metric, SeriesBase } from './metric.ts'

/**
 * The exposition of `metrics` in pieces of about `sliceLines` lines each (a series is never
 * cut), in order: joined, the pieces are the text of one pass. {@link Registry.metrics} lets the
 * event loop run between two pieces, so that a registry of many series never holds a service's
 * requests for the whole render. A metric written in several pieces has its series listed at
 * its first piece: a series added or removed meanwhile is neither skipped nor written twice.
 */
export function* renderSlices(
  metrics: readonly Metric<string, SeriesBase>[],
  format: ExpositionFormat,
  created: boolean,
  sliceLines: number,
): Generator<string, void, undefined> {
  let out = ''
  let lines = 0
  for (const metric of metrics) {
    out += metric.header(format)
    lines++
    const perSeries = metric.linesPerSeries(format, created)
    const live = metric.seriesList
    const series = lines + live.length * perSeries <= sliceLines ? live : live.slice()
    let from = 0
    while (from < series.length) {
      const room = Math.max(1, Math.floor((sliceLines - lines) / perSeries))
      const to = Math.min(series.length, from + room)
      out += metric.renderSeries(format, created, series, from, to)
      lines += (to - from) * perSeries
      from = to
      if (lines >= sliceLines) {
        yield out
        out = ''
        lines = 0
      }
    }
  }
  if (out !== '') yield out
}
