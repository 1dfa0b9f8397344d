import { describe, expect, it } from 'vitest'
import { snappyDecompress } from './snappy.ts'
import {
  decodeRemoteWriteBody,
  decodeWriteRequest,
  encodeWriteRequest,
  remoteWriteBody,
  toTimeSeries,
} from './write-request.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('encodeWriteRequest', () => {
  it('should write the bytes of a known WriteRequest', () => {
    const bytes = encodeWriteRequest([{ labels: { __name__: 'a' }, samples: [{ value: 1, timestamp: 2 }] }])
    // WriteRequest{timeseries: [{labels: [{name: "__name__", value: "a"}], samples: [{value: 1, timestamp: 2}]}]}
    expect(hex(bytes)).toBe(
      [
        '0a1c', // timeseries, 28 bytes
        '0a0d', // label, 13 bytes
        '0a085f5f6e616d655f5f', // name "__name__"
        '120161', // value "a"
        '120b', // sample, 11 bytes
        '09000000000000f03f', // value 1.0 (fixed64, little-endian)
        '1002', // timestamp 2
      ].join(''),
    )
  })

  it('should sort labels by name and write int64 timestamps past 2^32 and before 1970', () => {
    const series = [
      {
        labels: { zone: 'b', __name__: 'noa_up', app: 'ä€𝄞' },
        samples: [
          { value: -0.5, timestamp: 1_765_000_000_123 },
          { value: Number.POSITIVE_INFINITY, timestamp: -1 },
          { value: 0, timestamp: 0 },
        ],
      },
    ]
    const [decoded] = decodeWriteRequest(encodeWriteRequest(series))
    expect(Object.keys(decoded!.labels)).toEqual(['__name__', 'app', 'zone'])
    expect(decoded!.labels.app).toBe('ä€𝄞')
    expect(decoded!.samples).toEqual(series[0]!.samples)
  })

  it('should keep NaN (Prometheus stale markers are NaNs) and many series apart', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({
      labels: { __name__: `m_${i}`, i: String(i).repeat(50) },
      samples: [{ value: i === 7 ? Number.NaN : i * 1.5, timestamp: 1_700_000_000_000 + i }],
    }))
    const decoded = decodeWriteRequest(encodeWriteRequest(many))
    expect(decoded).toHaveLength(300)
    expect(decoded[7]!.samples[0]!.value).toBeNaN()
    expect(decoded[299]).toEqual(many[299])
  })

  it('should refuse truncated bytes when decoding', () => {
    const bytes = encodeWriteRequest([{ labels: { __name__: 'a' }, samples: [{ value: 1, timestamp: 2 }] }])
    expect(() => decodeWriteRequest(bytes.subarray(0, bytes.length - 3))).toThrow()
  })
})

describe('toTimeSeries', () => {
  it('should group values by name and labels, add __name__, drop empty labels, order samples by time', () => {
    const series = toTimeSeries([
      { name: 'up', labels: { service: 'api', zone: '' }, value: 1, at: 20 },
      { name: 'up', labels: { service: 'web' }, value: 0, at: 10 },
      { name: 'up', labels: { service: 'api' }, value: 0, at: 10 },
      { name: 'rounds_total', value: 3, at: 10 },
    ])
    expect(series).toEqual([
      {
        labels: { __name__: 'up', service: 'api' },
        samples: [
          { value: 0, timestamp: 10 },
          { value: 1, timestamp: 20 },
        ],
      },
      { labels: { __name__: 'up', service: 'web' }, samples: [{ value: 0, timestamp: 10 }] },
      { labels: { __name__: 'rounds_total' }, samples: [{ value: 3, timestamp: 10 }] },
    ])
  })

  it("should add external labels to every series that does not have them, as Prometheus' external_labels", () => {
    const series = toTimeSeries(
      [
        { name: 'up', labels: { service: 'api' }, value: 1, at: 10 },
        { name: 'up', labels: { service: 'web', region: 'us' }, value: 1, at: 10 },
      ],
      { region: 'eu', agent: 'noa-1', empty: '', __name__: 'hijack' },
    )
    expect(series.map((s) => s.labels)).toEqual([
      { __name__: 'up', service: 'api', region: 'eu', agent: 'noa-1' },
      { __name__: 'up', service: 'web', region: 'us', agent: 'noa-1' },
    ])
  })
})

describe('remoteWriteBody', () => {
  it('should be the snappy block of the protobuf, smaller than it for real series', () => {
    const series = toTimeSeries(
      Array.from({ length: 200 }, (_, i) => ({
        name: 'noa_service_up',
        labels: { service: `service-${i}`, agent: 'noa-1' },
        value: 1,
        at: 1_765_000_000_000,
      })),
    )
    const body = remoteWriteBody(series)
    const proto = encodeWriteRequest(series)
    expect(hex(snappyDecompress(body))).toBe(hex(proto))
    expect(body.length).toBeLessThan(proto.length / 2)
    expect(decodeRemoteWriteBody(body)).toEqual(series)
  })
})
