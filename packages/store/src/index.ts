/**
 * @module @noa/store
 * Storage for noa: samples, snapshots, check results, alerts and their outbox, healing
 * records, approvals and leases, on memory, SQLite (`@noa/store/sqlite`) or PostgreSQL
 * (`@noa/store/postgres`), plus the seed's daily JSONL archive.
 */

export type { ArchiveReport, JsonlArchive, JsonlArchiveOptions } from './archive/jsonl.ts'
export { archiveFileName, createJsonlArchive, utcDay } from './archive/jsonl.ts'
export { jsonlArchiveOptionsSchema } from './archive/options.ts'
export type { StoreErrorOptions } from './errors.ts'
export { isStoreError, StoreError, StoreUnavailableError } from './errors.ts'
export type { MaintenanceSchedule } from './maintenance.ts'
export { startMaintenance } from './maintenance.ts'
export { MAINTENANCE_WINDOW_LIMITS, windowEnd } from './maintenance-windows.ts'
export type { OpenStoreOptions, StoreConfig } from './open.ts'
export { openStore, storeConfigSchema } from './open.ts'
export type { StoreRuntime } from './options.ts'
export { commonOptionsSchema, DEFAULT_RETENTION_DAYS, RETENTION_KINDS, retentionSchema } from './options.ts'
export type { PendingRecordsOptions } from './pending.ts'
export { withPendingRecords } from './pending.ts'
export { DRILL_LIMITS, INCIDENT_LIMITS } from './records.ts'
export type {
  Aggregation,
  BeatStore,
  CheckQuery,
  CheckStore,
  DrillCursor,
  DrillOutcome,
  DrillQuery,
  DrillRecord,
  DrillResultRecord,
  DrillStore,
  Incident,
  IncidentCursor,
  IncidentEvent,
  IncidentEventKind,
  IncidentQuery,
  IncidentState,
  IncidentStore,
  LabelMatcher,
  Labels,
  MaintenanceReport,
  MaintenanceWindowQuery,
  MaintenanceWindowRecord,
  MaintenanceWindowStore,
  RangeQuery,
  Resolution,
  RetentionKind,
  Sample,
  SampleInput,
  SampleStore,
  Series,
  SeriesPoints,
  SeriesSelector,
  SnapshotStore,
  Store,
  StoredBeat,
  StoreHealth,
  StoreRecovery,
  StoreStats,
  StoreType,
} from './store.ts'
export type { MemoryStoreOptions } from './stores/memory/index.ts'
export { createMemoryStore } from './stores/memory/index.ts'
export { memoryOptionsSchema } from './stores/memory/options.ts'
export type { RecentWindowOptions } from './window.ts'
export { withRecentWindow } from './window.ts'
