/**
 * @module @noa/metrics/remote-write
 * Prometheus remote write 1.0 without a dependency: a `prometheus.WriteRequest` protobuf
 * encoder, snappy block compression, and their decoders (tests, receivers). Kept out of the
 * main entry: a service that only exposes /metrics does not load it.
 */

export type { SnappyDecompressOptions } from './remote-write/snappy.ts'
export { snappyCompress, snappyDecompress } from './remote-write/snappy.ts'
export type { RemoteSample, RemoteWriteInput, TimeSeries } from './remote-write/write-request.ts'
export {
  decodeRemoteWriteBody,
  decodeWriteRequest,
  encodeWriteRequest,
  REMOTE_WRITE_HEADERS,
  remoteWriteBody,
  toTimeSeries,
} from './remote-write/write-request.ts'
