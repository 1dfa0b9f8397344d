/**
 * Numbered migrations of the SQLite schema; `PRAGMA user_version` records the last one
 * applied. Append new ones, never edit an applied one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE series (id INTEGER PRIMARY KEY, name TEXT NOT NULL, labels TEXT NOT NULL, key TEXT NOT NULL UNIQUE);
  CREATE INDEX series_name ON series (name);
  CREATE TABLE samples (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
  CREATE TABLE rollups_1m (series_id INTEGER NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
    min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, increase REAL NOT NULL, PRIMARY KEY (series_id, bucket)) WITHOUT ROWID;
  CREATE TABLE rollups_1h (series_id INTEGER NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
    min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, increase REAL NOT NULL, PRIMARY KEY (series_id, bucket)) WITHOUT ROWID;
  CREATE TABLE watermarks (resolution TEXT PRIMARY KEY, ts INTEGER NOT NULL);
  CREATE TABLE snapshots (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX snapshots_ts ON snapshots (ts);
  CREATE TABLE check_results (seq INTEGER PRIMARY KEY, service TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX check_results_service_at ON check_results (service, at);
  CREATE INDEX check_results_at ON check_results (at);
  CREATE TABLE state_changes (seq INTEGER PRIMARY KEY, service TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX state_changes_service_at ON state_changes (service, at);
  CREATE INDEX state_changes_at ON state_changes (at);
  CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, idempotency_key TEXT NOT NULL,
    payload TEXT NOT NULL, created_at INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL, last_error TEXT, sent_at INTEGER);
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
  CREATE INDEX deliveries_created ON deliveries (created_at);
  CREATE TABLE alerts (fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, service TEXT, updated_at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX alerts_updated ON alerts (updated_at);
  CREATE TABLE alert_history (seq INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL, at INTEGER NOT NULL, value REAL);
  CREATE INDEX alert_history_fp ON alert_history (fingerprint, seq);
  CREATE TABLE healings (id TEXT PRIMARY KEY, service TEXT NOT NULL, started_at INTEGER NOT NULL, outcome TEXT NOT NULL, data TEXT NOT NULL);
  CREATE INDEX healings_started ON healings (started_at);
  CREATE TABLE approvals (id TEXT PRIMARY KEY, service TEXT NOT NULL, status TEXT NOT NULL, requested_at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX approvals_requested ON approvals (requested_at);
  CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
  `, // 2: silences, so they survive a restart. endsAt is indexed for the active list and retention.
  `
  CREATE TABLE silences (id TEXT PRIMARY KEY, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX silences_ends ON silences (ends_at);
  `, // 3: drill runs, one row each; (started_at, id) is the order of the Drills page and of its cursor.
  `
  CREATE TABLE drills (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX drills_started ON drills (started_at, id);
  `, // 4: the last beat of each push check, keyed by its token's SHA-256, for every agent and the next start.
  `
  CREATE TABLE push_beats (token_hash TEXT PRIMARY KEY, at INTEGER NOT NULL, status TEXT NOT NULL, message TEXT);
  CREATE INDEX push_beats_at ON push_beats (at);
  `, // 5: maintenance windows opened through the API; ends_at (an early end included) serves the open list and retention.
  `
  CREATE TABLE maintenance_windows (id TEXT PRIMARY KEY, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends_at);
  `, // 6: incidents, one row each with its timeline; lists filter by service or state, newest first.
  `
  CREATE TABLE incidents (id TEXT PRIMARY KEY, service TEXT NOT NULL, state TEXT NOT NULL,
    opened_at INTEGER NOT NULL, resolved_at INTEGER, data TEXT NOT NULL);
  CREATE INDEX incidents_opened ON incidents (opened_at, id);
  CREATE INDEX incidents_service ON incidents (service, opened_at, id);
  CREATE INDEX incidents_state ON incidents (state, opened_at, id);
  CREATE INDEX incidents_resolved ON incidents (resolved_at);
  `,
]
