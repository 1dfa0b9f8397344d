/** One numbered migration; `$S` stands for the quoted schema name. Append new ones, never edit an applied one. */
export interface Migration {
  id: number
  name: string
  sql: string
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'initial schema',
    sql: `
    CREATE TABLE $S.series (id serial PRIMARY KEY, name text NOT NULL, labels text NOT NULL, key text NOT NULL UNIQUE);
    CREATE INDEX ON $S.series (name);
    CREATE TABLE $S.samples (series_id integer NOT NULL, ts bigint NOT NULL, value double precision NOT NULL, PRIMARY KEY (series_id, ts));
    CREATE INDEX ON $S.samples USING brin (ts);
    CREATE TABLE $S.rollups_1m (series_id integer NOT NULL, bucket bigint NOT NULL, count bigint NOT NULL, sum double precision NOT NULL,
      min double precision NOT NULL, max double precision NOT NULL, last double precision NOT NULL, increase double precision NOT NULL,
      PRIMARY KEY (series_id, bucket));
    CREATE INDEX ON $S.rollups_1m USING brin (bucket);
    CREATE TABLE $S.rollups_1h (LIKE $S.rollups_1m INCLUDING ALL);
    CREATE TABLE $S.watermarks (resolution text PRIMARY KEY, ts bigint NOT NULL);
    CREATE TABLE $S.snapshots (seq bigserial PRIMARY KEY, ts bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.snapshots (ts);
    CREATE TABLE $S.check_results (seq bigserial PRIMARY KEY, service text NOT NULL, at bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.check_results (service, at);
    CREATE INDEX ON $S.check_results (at);
    CREATE TABLE $S.state_changes (LIKE $S.check_results INCLUDING ALL);
    CREATE TABLE $S.deliveries (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, channel text NOT NULL, idempotency_key text NOT NULL,
      payload text NOT NULL, created_at bigint NOT NULL, status text NOT NULL, attempts integer NOT NULL,
      next_attempt_at bigint NOT NULL, last_error text, sent_at bigint);
    CREATE INDEX ON $S.deliveries (status, next_attempt_at);
    CREATE INDEX ON $S.deliveries (created_at);
    CREATE TABLE $S.alerts (fingerprint text PRIMARY KEY, state text NOT NULL, service text, updated_at bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.alerts (updated_at);
    CREATE TABLE $S.alert_history (seq bigserial PRIMARY KEY, fingerprint text NOT NULL, state text NOT NULL, at bigint NOT NULL, value double precision);
    CREATE INDEX ON $S.alert_history (fingerprint, seq);
    CREATE TABLE $S.healings (id text PRIMARY KEY, service text NOT NULL, started_at bigint NOT NULL, outcome text NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.healings (started_at);
    CREATE TABLE $S.approvals (id text PRIMARY KEY, service text NOT NULL, status text NOT NULL, requested_at bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.approvals (requested_at);
    CREATE TABLE $S.leases (name text PRIMARY KEY, holder text NOT NULL, expires_at bigint NOT NULL);
    `,
  },
  {
    id: 2,
    name: 'silences',
    sql: `
    CREATE TABLE $S.silences (id text PRIMARY KEY, starts_at bigint NOT NULL, ends_at bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.silences (ends_at);
    `,
  },
  {
    id: 3,
    name: 'drills',
    sql: `
    CREATE TABLE $S.drills (id text COLLATE "C" PRIMARY KEY, started_at bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.drills (started_at, id);
    `,
  },
  {
    id: 4,
    name: 'push beats',
    sql: `
    CREATE TABLE $S.push_beats (token_hash text COLLATE "C" PRIMARY KEY, at bigint NOT NULL, status text NOT NULL, message text);
    CREATE INDEX ON $S.push_beats (at);
    `,
  },
  {
    id: 5,
    name: 'maintenance windows',
    sql: `
    CREATE TABLE $S.maintenance_windows (id text COLLATE "C" PRIMARY KEY, starts_at bigint NOT NULL, ends_at bigint NOT NULL, data text NOT NULL);
    CREATE INDEX ON $S.maintenance_windows (ends_at);
    `,
  },
  {
    id: 6,
    name: 'incidents',
    sql: `
    CREATE TABLE $S.incidents (id text COLLATE "C" PRIMARY KEY, service text NOT NULL, state text NOT NULL,
      opened_at bigint NOT NULL, resolved_at bigint, data text NOT NULL);
    CREATE INDEX ON $S.incidents (opened_at, id);
    CREATE INDEX ON $S.incidents (service, opened_at, id);
    CREATE INDEX ON $S.incidents (state, opened_at, id);
    CREATE INDEX ON $S.incidents (resolved_at);
    `,
  },
]
