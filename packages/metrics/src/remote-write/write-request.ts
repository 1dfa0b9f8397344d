import { ProtoReader, ProtoWriter, varintSize, WIRE } from './protobuf.ts'
import { snappyCompress, snappyDecompress } from './snappy.ts'

/** One sample of a series: its value and its time, epoch ms. */
export interface RemoteSample {
  value: number
  timestamp: number
}

/** A series of a WriteRequest: its labels (`__name__` among them) and its samples in time order. */
export interface TimeSeries {
  labels: Record<string, string>
  samples: RemoteSample[]
}

/** One value to write: a metric name, its labels, and when it was read. */
export interface RemoteWriteInput {
  name: string
  labels?: Readonly<Record<string, string>>
  value: number
  /** Epoch ms. */
  at: number
}

/** Headers every remote-write 1.0 request carries (with a `User-Agent` of the sender's). */
export const REMOTE_WRITE_HEADERS = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
} as const

const encoder = new TextEncoder()

interface EncodedLabel {
  name: Uint8Array
  value: Uint8Array
  size: number
}

const fieldSize = (bytes: number) => 1 + varintSize(bytes) + bytes

/**
 * Groups values into series: one per metric name and label set, `__name__` added, labels sorted
 * by name (Prometheus refuses unsorted ones), samples in time order. Empty label values are
 * left out, as Prometheus treats them as absent. `externalLabels` are added to every series that
 * does not have them already, as Prometheus' `external_labels` are (to tell senders apart).
 *
 * @example
 * ```ts
 * toTimeSeries([{ name: 'up', labels: { job: 'api' }, value: 1, at: Date.now() }], { agent: 'eu-1' })
 * ```
 */
export function toTimeSeries(
  values: readonly RemoteWriteInput[],
  externalLabels: Readonly<Record<string, string>> = {},
): TimeSeries[] {
  const series = new Map<string, TimeSeries>()
  const external = Object.entries(externalLabels).filter(([k, v]) => v !== '' && k !== '__name__')
  for (const v of values) {
    const labels: Record<string, string> = { __name__: v.name }
    for (const [k, value] of Object.entries(v.labels ?? {}))
      if (value !== '' && k !== '__name__') labels[k] = value
    for (const [k, value] of external) labels[k] ??= value
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    let s = series.get(key)
    if (!s) {
      s = { labels, samples: [] }
      series.set(key, s)
    }
    s.samples.push({ value: v.value, timestamp: v.at })
  }
  for (const s of series.values()) s.samples.sort((a, b) => a.timestamp - b.timestamp)
  return [...series.values()]
}

/**
 * Encodes a `prometheus.WriteRequest` (remote write 1.0) as protobuf bytes: each series'
 * labels sorted by name, timestamps truncated to whole milliseconds.
 */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array<ArrayBuffer> {
  const encoded = series.map((s) => {
    const labels: EncodedLabel[] = Object.keys(s.labels)
      .sort()
      .map((k) => {
        const name = encoder.encode(k)
        const value = encoder.encode(s.labels[k]!)
        return { name, value, size: fieldSize(name.length) + fieldSize(value.length) }
      })
    const samples = s.samples.map((x) => {
      const timestamp = Math.trunc(x.timestamp)
      return { value: x.value, timestamp, size: sampleSize(x.value, timestamp) }
    })
    const size =
      labels.reduce((n, l) => n + fieldSize(l.size), 0) + samples.reduce((n, x) => n + fieldSize(x.size), 0)
    return { labels, samples, size }
  })
  const w = new ProtoWriter(encoded.reduce((n, s) => n + fieldSize(s.size), 0))
  for (const s of encoded) {
    w.tag(1, WIRE.bytes)
    w.varint(s.size)
    for (const l of s.labels) {
      w.tag(1, WIRE.bytes)
      w.varint(l.size)
      w.tag(1, WIRE.bytes)
      w.varint(l.name.length)
      w.raw(l.name)
      w.tag(2, WIRE.bytes)
      w.varint(l.value.length)
      w.raw(l.value)
    }
    for (const x of s.samples) {
      w.tag(2, WIRE.bytes)
      w.varint(x.size)
      // proto3 leaves fields at their default out; -0 is not the default, so it stays.
      if (!Object.is(x.value, 0)) {
        w.tag(1, WIRE.fixed64)
        w.double(x.value)
      }
      if (x.timestamp !== 0) {
        w.tag(2, WIRE.varint)
        w.varint(x.timestamp)
      }
    }
  }
  return w.bytes
}

function sampleSize(value: number, timestamp: number): number {
  return (Object.is(value, 0) ? 0 : 9) + (timestamp === 0 ? 0 : 1 + varintSize(timestamp))
}

/**
 * The body of a remote-write request: the WriteRequest, snappy-compressed (block format).
 * Send it with {@link REMOTE_WRITE_HEADERS}.
 *
 * @example
 * ```ts
 * await fetch('http://127.0.0.1:9090/api/v1/write', {
 *   method: 'POST',
 *   headers: { ...REMOTE_WRITE_HEADERS, 'user-agent': 'my-service/1.0' },
 *   body: remoteWriteBody(toTimeSeries([{ name: 'jobs_done_total', value: 42, at: Date.now() }])),
 * })
 * ```
 */
export function remoteWriteBody(series: readonly TimeSeries[]): Uint8Array<ArrayBuffer> {
  return snappyCompress(encodeWriteRequest(series))
}

/**
 * Decodes a WriteRequest's protobuf bytes (tests, or a receiver built on noa); unknown fields
 * are skipped. Throws on malformed bytes.
 */
export function decodeWriteRequest(bytes: Uint8Array): TimeSeries[] {
  const series: TimeSeries[] = []
  const r = new ProtoReader(bytes)
  while (!r.done) {
    const { field, wire } = r.tag()
    if (field !== 1 || wire !== WIRE.bytes) {
      r.skip(wire)
      continue
    }
    const ts = r.sub()
    const s: TimeSeries = { labels: {}, samples: [] }
    while (!ts.done) {
      const t = ts.tag()
      if (t.field === 1 && t.wire === WIRE.bytes) {
        const l = ts.sub()
        let name = ''
        let value = ''
        while (!l.done) {
          const lt = l.tag()
          if (lt.field === 1 && lt.wire === WIRE.bytes) name = l.string()
          else if (lt.field === 2 && lt.wire === WIRE.bytes) value = l.string()
          else l.skip(lt.wire)
        }
        s.labels[name] = value
      } else if (t.field === 2 && t.wire === WIRE.bytes) {
        const x = ts.sub()
        const sample: RemoteSample = { value: 0, timestamp: 0 }
        while (!x.done) {
          const xt = x.tag()
          if (xt.field === 1 && xt.wire === WIRE.fixed64) sample.value = x.double()
          else if (xt.field === 2 && xt.wire === WIRE.varint) sample.timestamp = x.varint()
          else x.skip(xt.wire)
        }
        s.samples.push(sample)
      } else ts.skip(t.wire)
    }
    series.push(s)
  }
  return series
}

/** Decompresses and decodes a remote-write request body. */
export function decodeRemoteWriteBody(body: Uint8Array): TimeSeries[] {
  return decodeWriteRequest(snappyDecompress(body))
}
