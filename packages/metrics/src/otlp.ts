/**
 * @module @noa/metrics/otlp
 * OTLP/HTTP metrics export without a dependency: the OTLP metrics data model noa sends,
 * `ExportMetricsServiceRequest` encoders for both OTLP/HTTP encodings (protobuf and JSON), the
 * conversion of parsed expositions (a registry's, or a scraped service's) into OTLP metrics, an
 * exporter with retries, and a periodic export of a registry. Kept out of the main entry: a
 * service that only exposes /metrics does not load it.
 */

export { encodeOtlpJson } from './otlp/encode-json.ts'
export { encodeOtlpProtobuf } from './otlp/encode-protobuf.ts'
export type { OtlpExporter, OtlpExporterOptions, OtlpExportResult } from './otlp/exporter.ts'
export { createOtlpExporter } from './otlp/exporter.ts'
export type { OtlpConversionOptions } from './otlp/from-families.ts'
export { otlpMetricsOf } from './otlp/from-families.ts'
export type {
  OtlpAttributes,
  OtlpAttributeValue,
  OtlpData,
  OtlpEncoding,
  OtlpExportRequest,
  OtlpHistogramPoint,
  OtlpMetric,
  OtlpNumberPoint,
  OtlpSummaryPoint,
} from './otlp/model.ts'
export { OTLP_CONTENT_TYPES } from './otlp/model.ts'
export type { OtlpExport, OtlpExportOptions } from './otlp/periodic.ts'
export { startOtlpExport } from './otlp/periodic.ts'
export { registryOtlpMetrics } from './otlp/registry-metrics.ts'
export type { OtlpExportMetrics } from './otlp/self-metrics.ts'
export { otlpExportMetrics } from './otlp/self-metrics.ts'
