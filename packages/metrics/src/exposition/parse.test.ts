import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createExpositionParser, type ParseOptions, type ParseResult, parseExposition } from './parse.ts'

describe('parseExposition (Prometheus 0.0.4)', () => {
  it('should read the text format leniently, as Prometheus does', () => {
    const text = [
      '# A plain comment',
      '',
      '# HELP http_requests_total Requests\\nserved \\\\ ok "quoted"',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200",} 1027 1395066363000',
      '  http_requests_total { method = "get" , code="400" }   3   -5  ',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.5"} 4773',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
      '# TYPE latency histogram',
      'latency_bucket{le="+Inf"} 1',
      'latency_sum 2',
      'latency_count 1',
      'untyped_metric\t-Inf\r',
      'latency_sum 3',
    ].join('\n')
    const result = parseExposition(text)
    if (!result.ok) throw new Error(result.error.message)
    expect(result.families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['http_requests_total', 'counter', 2],
      ['rpc_duration_seconds', 'summary', 3],
      ['latency', 'histogram', 4],
      ['untyped_metric', 'unknown', 1],
    ])
    const [requests] = result.families
    expect(requests?.help).toBe('Requests\nserved \\ ok "quoted"')
    expect(requests?.samples).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '200' },
        value: 1027,
        timestamp: 1395066363000,
      },
      { name: 'http_requests_total', labels: { method: 'get', code: '400' }, value: 3, timestamp: -5 },
    ])
  })

  it('should stop at # EOF and accept OpenMetrics text too', () => {
    const result = parseExposition('# TYPE a counter\na_total 1\n# EOF\nanything here')
    expect(result.ok && result.families[0]?.samples[0]?.name).toBe('a_total')
  })

  it('should report a malformed line with its number', () => {
    const cases: Array<[string, number, string]> = [
      ['ok 1\nbad{ 1', 2, 'invalid label name'],
      ['ok 1\n\n\nnope', 4, 'expected a space and a value'],
      ['a 1 12.5', 1, 'invalid timestamp'],
      ['a{x="1"} 1 2 3', 1, 'unexpected text'],
      ['a{x="1} 1', 1, 'unterminated value'],
      ['a{x="1\\', 1, 'unterminated value'],
      ['a{x="1",x="2"} 1', 1, 'appears twice'],
      ['a{x="1" y="2"} 1', 1, 'expected "," or "}"'],
      ['a{x 1', 1, 'expected "="'],
      ['a{x=1} 1', 1, 'double-quoted'],
      ['a abc', 1, 'invalid value'],
      ['# TYPE a counter\n# TYPE a gauge', 2, 'second TYPE'],
      ['# HELP a x\n# HELP a y', 2, 'second HELP'],
      ['# TYPE a widget', 1, 'invalid type'],
      ['# TYPE 0a counter', 1, 'invalid metric name'],
      ['{x="1"} 1', 1, 'expected a metric name at column 1'],
    ]
    for (const [text, line, message] of cases) {
      const result = parseExposition(text)
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.error.line).toBe(line)
        expect(result.error.message).toContain(message)
      }
    }
  })
})

describe('parseExposition (OpenMetrics 1.0)', () => {
  it('should return families with metadata, samples, timestamps and exemplars', () => {
    const text = [
      '# TYPE foo_seconds histogram',
      '# UNIT foo_seconds seconds',
      '# HELP foo_seconds Help with \\"quotes\\"',
      'foo_seconds_bucket{le="1"} 1 # {trace_id="abc"} 0.5 123.5',
      'foo_seconds_bucket{le="+Inf"} 2',
      'foo_seconds_count 2',
      'foo_seconds_sum 3.5',
      '# EOF',
    ].join('\n')
    const result = parseExposition(text, { format: 'openmetrics' })
    if (!result.ok) throw new Error(result.error.message)
    expect(result.families).toEqual([
      {
        name: 'foo_seconds',
        type: 'histogram',
        help: 'Help with "quotes"',
        unit: 'seconds',
        samples: [
          {
            name: 'foo_seconds_bucket',
            labels: { le: '1' },
            value: 1,
            exemplar: { labels: { trace_id: 'abc' }, value: 0.5, timestamp: 123.5 },
          },
          { name: 'foo_seconds_bucket', labels: { le: '+Inf' }, value: 2 },
          { name: 'foo_seconds_count', labels: {}, value: 2 },
          { name: 'foo_seconds_sum', labels: {}, value: 3.5 },
        ],
      },
    ])
  })

  it('should report where the text ends without # EOF', () => {
    const result = parseExposition('a 1\nb 2\n', { format: 'openmetrics' })
    expect(result).toEqual({ ok: false, error: { line: 3, message: 'missing "# EOF" at the end' } })
  })

  it('should keep a label named __proto__ as a label', () => {
    const result = parseExposition('a{__proto__="x"} 1\n# EOF\n', { format: 'openmetrics' })
    expect(result.ok && Object.entries(result.families[0]?.samples[0]?.labels ?? {})).toEqual([
      ['__proto__', 'x'],
    ])
  })
})

describe('parseExposition (hostile input)', () => {
  it('should refuse non-text and oversized input without reading it', () => {
    expect(parseExposition(42 as unknown as string).ok).toBe(false)
    const result = parseExposition('a 1\n'.repeat(100), { maxLength: 50 })
    expect(result).toEqual({
      ok: false,
      error: { line: 0, message: 'exposition is 400 characters, over 50' },
    })
  })

  it('should finish quickly on pathological lines (linear work, no backtracking)', () => {
    const inputs = [
      `a{${'b="\\\\",'.repeat(20_000)}`,
      `a ${'1'.repeat(200_000)}x`,
      `a 1 ${'1'.repeat(200_000)}.1.1`,
      `${'a'.repeat(200_000)}`,
      `${'{'.repeat(100_000)}`,
      `a{b="${'\\"'.repeat(100_000)}`,
      `a_total 1 # {${'x="y",'.repeat(10_000)}} 1`,
    ]
    for (const format of ['prometheus', 'openmetrics'] as const) {
      for (const text of inputs) {
        const result = parseExposition(text, { format })
        expect(result.ok).toBe(false)
      }
      expect(
        parseExposition(`# HELP ${'a'.repeat(100_000)}${' '.repeat(100_000)}x\n# EOF`, { format }).ok,
      ).toBe(true)
      // Many lines: still one pass.
      expect(parseExposition(`${'x{a="1"} 1\n'.repeat(50_000)}# EOF\n`, { format }).ok).toBe(true)
    }
  })

  it('should never throw on random bytes', () => {
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    const alphabet = 'a_{}="\\ \n#,01.eE+-InfNaTYPEHELPUNIT\t:'
    for (let n = 0; n < 2000; n++) {
      let text = ''
      const length = next() % 80
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length]
      for (const format of ['prometheus', 'openmetrics'] as const) {
        expect(() => parseExposition(text, { format })).not.toThrow()
      }
    }
  })
})

describe('createExpositionParser', () => {
  const root = join(import.meta.dirname, 'fixtures', 'openmetrics', 'parsers')
  const cases = readdirSync(root)
    .sort()
    .map((dir) => {
      const meta = JSON.parse(readFileSync(join(root, dir, 'test.json'), 'utf8')) as { file: string }
      return { dir, text: readFileSync(join(root, dir, meta.file), 'utf8') }
    })
  const inPieces = (text: string, size: number, options: ParseOptions): ParseResult => {
    const parser = createExpositionParser(options)
    for (let i = 0; i < text.length; i += size) if (!parser.write(text.slice(i, i + size))) break
    return parser.end()
  }

  it('should give what parseExposition gives for every OpenMetrics case, whatever the pieces', () => {
    expect(cases).toHaveLength(211)
    for (const { dir, text } of cases)
      for (const format of ['openmetrics', 'prometheus'] as const) {
        const whole = parseExposition(text, { format })
        for (const size of [1, 2, 7, 64, 100_000])
          expect({ dir, format, size, result: inPieces(text, size, { format }) }).toEqual({
            dir,
            format,
            size,
            result: whole,
          })
      }
  })

  it('should read a line split anywhere, a CRLF split between its two bytes included', () => {
    const parser = createExpositionParser()
    for (const piece of ['http_requ', 'ests_total{code="2', '00"} 3\r', '\nup 1\r\n', 'down', ' 0'])
      expect(parser.write(piece)).toBe(true)
    const result = parser.end()
    expect(
      result.ok && result.families.map((f) => f.samples.map((s) => [s.name, s.labels, s.value])),
    ).toEqual([[['http_requests_total', { code: '200' }, 3]], [['up', {}, 1]], [['down', {}, 0]]])
  })

  it('should refuse the rest of the text once a line is refused, and say where', () => {
    const parser = createExpositionParser({ format: 'openmetrics' })
    expect(parser.write('a 1\nb{ 2\n')).toBe(false)
    expect(parser.write('c 3\n# EOF\n')).toBe(false)
    expect(parser.samples).toBe(1)
    expect(parser.end()).toEqual({
      ok: false,
      error: { line: 2, message: 'invalid label name "" at column 3' },
    })
  })

  it('should refuse text over maxLength counted over every piece', () => {
    const parser = createExpositionParser({ maxLength: 10 })
    expect(parser.write('a 1\nb 2\n')).toBe(true)
    expect(parser.write('c 3\n')).toBe(false)
    expect(parser.end()).toEqual({
      ok: false,
      error: { line: 0, message: 'exposition is over 10 characters' },
    })
  })

  it('should count the sample lines seen, kept or past the limit', () => {
    const parser = createExpositionParser({ limits: { series: 2 } })
    parser.write('# TYPE a gauge\na 1\na{x="1"} 2\na{x="2"} 3\n')
    expect(parser.samples).toBe(3)
    const result = parser.end()
    expect(result.ok && result.dropped.series_limit).toBe(1)
  })
})
