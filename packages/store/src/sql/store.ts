import type { Clock, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'
import { runMaintenance } from '../maintenance.ts'
import type { ResolvedCommon } from '../options.ts'
import type { Store } from '../store.ts'
import { createAlerts } from './alerts.ts'
import { createApprovals } from './approvals.ts'
import { createBeats } from './beats.ts'
import { createChecks } from './checks.ts'
import type { SqlBackend } from './dialect.ts'
import { createDrills } from './drills.ts'
import { createHealings } from './healings.ts'
import { createIncidents } from './incidents.ts'
import { createLeases } from './leases.ts'
import { createMaintenance } from './maintenance.ts'
import { createMaintenanceWindows } from './maintenance-windows.ts'
import { createOutbox } from './outbox.ts'
import { createSamples } from './samples.ts'
import { createSilences } from './silences.ts'
import { createSnapshots } from './snapshots.ts'

/**
 * The store on a SQL database, whichever it is: each part (one file each) is written once
 * against the backend's dialect, statements and execution.
 */
export function createSqlStore(
  backend: SqlBackend,
  { common, clock, logger }: { common: ResolvedCommon; clock: Clock; logger: Logger },
): Store {
  const { dialect: d, db, exec } = backend
  const { samples, reader } = createSamples(d, db, exec)
  const checks = createChecks(d, db, exec, backend.batchChecks ? { clock } : undefined)
  const maintenance = createMaintenance(d, db, reader)
  return {
    type: backend.type,
    samples,
    snapshots: createSnapshots(d, db, exec),
    checks: checks.checks,
    beats: createBeats(d, db, exec),
    outbox: createOutbox(d, db, exec),
    alerts: createAlerts(d, db, exec),
    healing: createHealings(d, db, exec),
    approvals: createApprovals(d, db, exec),
    leases: createLeases(d, db, exec),
    silences: createSilences(d, db, exec),
    drills: createDrills(d, db, exec),
    maintenanceWindows: createMaintenanceWindows(d, db, exec),
    incidents: createIncidents(d, db, exec),
    maintain: (now = clock.now()) =>
      exec.write('maintenance', () => runMaintenance(maintenance, common, now)),
    async flush() {
      await checks.flush()
      await backend.flush()
    },
    stats() {
      const own = backend.stats()
      const waiting = checks.stats()
      return { buffered: own.buffered + waiting.buffered, dropped: own.dropped + waiting.dropped }
    },
    health: () => backend.health(),
    async close() {
      await checks
        .flush()
        .catch((e) => logger.warn('check results lost at close', { error: errorMessage(e) }))
      await backend.close()
    },
  }
}
