import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { createExpositionParser, type ParseResult, parseExposition } from './parse.ts'

const root = join(import.meta.dirname, 'fixtures', 'openmetrics', 'parsers')
const good = readdirSync(root)
  .sort()
  .map((dir) => {
    const meta = JSON.parse(readFileSync(join(root, dir, 'test.json'), 'utf8')) as {
      file: string
      shouldParse: boolean
    }
    return { dir, shouldParse: meta.shouldParse, text: readFileSync(join(root, dir, meta.file), 'utf8') }
  })
  .filter((c) => c.shouldParse)

const NONE = { series_limit: 0, label_count: 0, label_name_length: 0, label_value_length: 0 }

function ok(result: ParseResult) {
  if (!result.ok) throw new Error(`line ${result.error.line}: ${result.error.message}`)
  return result
}
const kept = (result: ParseResult) => ok(result).families.reduce((n, f) => n + f.samples.length, 0)

/** An exposition of `n` series of one gauge, made without holding a list of lines. */
function wide(n: number, name = 'cache_entries'): string {
  let text = `# HELP ${name} Entries\n# TYPE ${name} gauge\n`
  for (let i = 0; i < n; i++) text += `${name}{key="k${i}",shard="${i % 16}"} ${i}\n`
  return text
}

describe('parseExposition with limits', () => {
  it('should give the same result as the full parse for every accepted OpenMetrics case below the limits', () => {
    expect(good).toHaveLength(44)
    for (const { dir, text } of good) {
      const full = parseExposition(text, { format: 'openmetrics' })
      const samples = kept(full)
      // The tightest limits that drop nothing: exactly the number of samples, the longest label.
      const limited = parseExposition(text, {
        format: 'openmetrics',
        limits: {
          series: Math.max(samples, 1),
          labelCount: 64,
          labelNameLength: 128,
          labelValueLength: 1024,
        },
      })
      expect({ dir, result: limited }).toEqual({ dir, result: full })
      expect(ok(limited).dropped).toEqual(NONE)
    }
  })

  it('should give the same result as the full parse for Prometheus text exactly at the limits (series, the longest name)', () => {
    const text = `# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 5\n${wide(2000)}`
    const full = parseExposition(text)
    expect(parseExposition(text, { limits: { series: 2001, labelValueLength: 19 } })).toEqual(full)
  })

  it('should keep the first series up to the limit and count the rest, in both formats', () => {
    const text = `${wide(200_000)}# EOF\n`
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const result = ok(parseExposition(text, { format, limits: { series: 10_000 } }))
      expect(kept(result)).toBe(10_000)
      expect(result.families).toHaveLength(1)
      expect(result.families[0]?.samples.at(-1)?.labels.key).toBe('k9999')
      expect(result.dropped).toEqual({ ...NONE, series_limit: 190_000 })
    }
  })

  it('should count lines past the series limit without reading or checking them', () => {
    const text = 'a 1\nb 2\nnot { valid\n# a comment\n\nc 3\n'
    expect(parseExposition(text, { limits: { series: 1 } })).toEqual({
      ok: true,
      families: [
        { name: 'a', type: 'unknown', help: '', unit: '', samples: [{ name: 'a', labels: {}, value: 1 }] },
      ],
      dropped: { ...NONE, series_limit: 3 },
    })
    // Below the limit the same text is checked as ever.
    expect(parseExposition(text, { limits: { series: 10 } })).toMatchObject({ ok: false, error: { line: 3 } })
  })

  it('should still check the lines that are not samples past the limit (# EOF, text after it)', () => {
    const om = { format: 'openmetrics' as const, limits: { series: 1 } }
    expect(ok(parseExposition('a 1\nb 2\n# EOF\n', om)).dropped.series_limit).toBe(1)
    expect(parseExposition('a 1\nb 2\n# EOF\nc 3\n', om)).toEqual({
      ok: false,
      error: { line: 4, message: 'text after "# EOF"' },
    })
    expect(parseExposition('a 1\nb 2\n', om)).toEqual({
      ok: false,
      error: { line: 3, message: 'missing "# EOF" at the end' },
    })
    // Prometheus text ignores what follows # EOF, past the limit too.
    expect(
      ok(parseExposition('a 1\nb 2\n# EOF\nc 3\n', { limits: { series: 1 } })).dropped.series_limit,
    ).toBe(1)
  })

  it('should keep an OpenMetrics histogram cut by the series limit as read', () => {
    const text = [
      '# TYPE rpc_seconds histogram',
      'rpc_seconds_bucket{le="0.1"} 1',
      'rpc_seconds_bucket{le="1"} 2',
      'rpc_seconds_bucket{le="+Inf"} 3',
      'rpc_seconds_count 3',
      'rpc_seconds_sum 1.5',
      '# EOF',
      '',
    ].join('\n')
    const result = ok(parseExposition(text, { format: 'openmetrics', limits: { series: 2 } }))
    expect(result.families[0]?.samples.map((s) => s.labels.le)).toEqual(['0.1', '1'])
    expect(result.dropped.series_limit).toBe(3)
    // Whole, it is still checked: a count that does not match the +Inf bucket is refused.
    const bad = text.replace('rpc_seconds_count 3', 'rpc_seconds_count 4')
    expect(parseExposition(bad, { format: 'openmetrics', limits: { series: 10 } }).ok).toBe(false)
  })

  it('should drop a series over a label limit, count it by reason and keep the others', () => {
    const text = [
      'ok{a="1"} 1',
      `long_value{path="${'x'.repeat(1025)}"} 2`,
      `long_name{${'n'.repeat(129)}="1"} 3`,
      `many{${Array.from({ length: 65 }, (_, i) => `l${i}="v"`).join(',')}} 4`,
      `${'m'.repeat(1025)} 5`,
      `exact{${'n'.repeat(128)}="${'x'.repeat(1024)}"} 6`,
    ].join('\n')
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const result = ok(
        parseExposition(format === 'openmetrics' ? `${text}\n# EOF\n` : text, {
          format,
          limits: { labelCount: 64, labelNameLength: 128, labelValueLength: 1024 },
        }),
      )
      expect(result.families.flatMap((f) => f.samples.map((s) => s.value))).toEqual([1, 6])
      expect(result.dropped).toEqual({
        series_limit: 0,
        label_count: 1,
        label_name_length: 1,
        label_value_length: 2,
      })
    }
  })

  it('should measure label lengths in UTF-8 bytes', () => {
    const limits = { labelValueLength: 500 }
    // 300 characters: 600 bytes of é, or 1200 bytes of emoji (two UTF-16 units each, 4 bytes).
    expect(ok(parseExposition(`a{v="${'é'.repeat(300)}"} 1`, { limits })).dropped.label_value_length).toBe(1)
    expect(ok(parseExposition(`a{v="${'😀'.repeat(150)}"} 1`, { limits })).dropped.label_value_length).toBe(1)
    expect(kept(parseExposition(`a{v="${'é'.repeat(250)}"} 1`, { limits }))).toBe(1)
    expect(kept(parseExposition(`a{v="${'€'.repeat(166)}"} 1`, { limits }))).toBe(1)
    expect(kept(parseExposition(`a{v="${'€'.repeat(167)}"} 1`, { limits }))).toBe(0)
  })

  it('should count series dropped for a label limit against the series limit', () => {
    const text = `${'a{v="xxxxxxxx"} 1\n'.repeat(5)}b 2\n`
    const result = ok(parseExposition(text, { limits: { series: 3, labelValueLength: 4 } }))
    expect(kept(result)).toBe(0)
    expect(result.dropped).toEqual({ ...NONE, label_value_length: 3, series_limit: 3 })
  })

  it('should make no more families than the series limit, even from metadata alone', () => {
    let text = ''
    for (let i = 0; i < 50_000; i++) text += `# HELP f${i} help\n# TYPE f${i} gauge\n`
    text += 'late 1\n'
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const result = ok(parseExposition(`${text}# EOF\n`, { format, limits: { series: 100 } }))
      expect(result.families).toHaveLength(100)
      expect(result.dropped.series_limit).toBe(1)
    }
  })

  it('should refuse limits that are not positive integers, naming each one', () => {
    let error: unknown
    try {
      createExpositionParser({ limits: { series: 0, labelCount: 1.5, labelValueLength: Number.NaN } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toBe(
      [
        'limits.series: must be a positive integer; found 0',
        'limits.labelCount: must be a positive integer; found 1.5',
        'limits.labelValueLength: must be a positive integer; found NaN',
      ].join('\n'),
    )
    expect(() => createExpositionParser({ limits: { series: Number.POSITIVE_INFINITY } })).not.toThrow()
  })
})
