import { z } from 'zod'
import { hookActionSchema } from './actions.ts'
import { executorSchema } from './executors/registry.ts'

const ms = z.number().int().nonnegative()
const enabled = (value: boolean) => z.boolean().default(value)

/**
 * The seed's `selfHealing` section, with noa's additions. Times in ms.
 *
 * @example
 * ```ts
 * const options = selfHealingSchema.parse({ maxRestarts: 5, strategies: { rollback: { enabled: true } } })
 * ```
 */
export const selfHealingSchema = z.strictObject({
  /** @default true */
  enabled: enabled(true),
  /** Restart supervised processes that exit. @default true */
  autoRestart: enabled(true),
  /**
   * What supervised processes do when the agent stops: `keep` running (the next agent adopts
   * them, as PM2's daemon and systemd units keep theirs; `noa stop` stops them) or `stop` with it.
   * @default 'keep'
   */
  whenAgentStops: z.enum(['keep', 'stop']).default('keep'),
  /** Restarts of one service allowed within `restartWindow`. @default 5 */
  maxRestarts: z.number().int().positive().default(5),
  /** @default 3600000 */
  restartWindow: z.number().int().positive().default(3_600_000),
  /** Pause between two restarts of one service. @default 60000 */
  restartCooldown: ms.default(60_000),
  /** Stop before start (SIGTERM and wait) rather than a bare restart. @default true */
  gracefulShutdown: enabled(true),
  /** @default 30000 */
  shutdownTimeout: z.number().int().positive().default(30_000),
  /** Decide and record, act on nothing. @default false */
  dryRun: enabled(false),
  /** Folder of the JSON-lines healing log. @default 'logs/self-healing' */
  logsDir: z.string().default('logs/self-healing'),
  /**
   * What happens once a service's restart budget (`maxRestarts`, `maxConsecutive`) is spent:
   * `backoff` opens its circuit, alerts once and keeps retrying with exponential backoff
   * (`circuitBreaker`), as Kubernetes' CrashLoopBackOff does, so a service is never left down
   * for good; `stop` leaves it down until a person acts. @default 'backoff'
   */
  onBudgetSpent: z.enum(['backoff', 'stop']).default('backoff'),
  /** The circuit of a service: opened by a spent budget or by healings that keep failing. */
  circuitBreaker: z
    .strictObject({
      /** Failed healings of one service in a row that open its circuit. @default 3 */
      failureThreshold: z.number().int().positive().default(3),
      /** Wait before the first retry of an open circuit; each next wait doubles. @default 10000 */
      retryInitial: z.number().int().positive().default(10_000),
      /** Longest wait between two retries of an open circuit. @default 300000 */
      coolOff: z.number().int().positive().default(300_000),
      /** How long a service must stay healthy to close its circuit and reset its restart counts. @default 60000 */
      stablePeriod: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /** How long a pending approval waits before it expires. @default 3600000 */
  approvalTimeout: z.number().int().positive().default(3_600_000),
  /** How often a waiting rollback looks for a decision made elsewhere. @default 1000 */
  approvalPollInterval: z.number().int().positive().default(1000),
  /** Lease time when a LeaseStore is given (renewed while the healing runs). @default 60000 */
  leaseTtl: z.number().int().positive().default(60_000),
  /** Trigger -> strategy overrides, e.g. `{ "high-load": "service-restart" }`. */
  triggers: z.record(z.string(), z.string()).default({}),
  strategies: z
    .strictObject({
      serviceRestart: z
        .strictObject({
          enabled: enabled(true),
          /** @default selfHealing.restartCooldown */
          cooldown: ms.optional(),
          /** @default 3 */
          maxConsecutive: z.number().int().positive().default(3),
          /** Pause between stop and start. @default 2000 */
          stopWait: ms.default(2000),
          /** Pause between start and verification. @default 5000 */
          startWait: ms.default(5000),
        })
        .prefault({}),
      safeRestart: z
        .strictObject({
          enabled: enabled(true),
          /** How long the error rate is watched after the restart. @default 30000 */
          watchDuration: z.number().int().positive().default(30_000),
          /** @default 5000 */
          sampleInterval: z.number().int().positive().default(5000),
          /** Error rate (0-1) above which the restart is judged a failure. @default 0.05 */
          errorRateThreshold: z.number().min(0).max(1).default(0.05),
        })
        .prefault({}),
      dependencyCheck: z
        .strictObject({
          enabled: enabled(true),
          /** Accepted for the seed's config; checks run when the strategy runs. @default 60000 */
          checkInterval: z.number().int().positive().default(60_000),
        })
        .prefault({}),
      gracefulRestart: z.strictObject({ enabled: enabled(true) }).prefault({}),
      scaleUp: z
        .strictObject({
          enabled: enabled(true),
          /** @default 10 */
          maxReplicas: z.number().int().positive().default(10),
        })
        .prefault({}),
      rollback: z
        .strictObject({
          /** @default false */
          enabled: enabled(false),
          /** Run without approval when `approvalRequired` is false. @default false */
          automatic: enabled(false),
          /** @default true */
          approvalRequired: enabled(true),
        })
        .prefault({}),
      gracefulDegradation: z
        .strictObject({
          enabled: enabled(true),
          /** @default 'read-only' */
          fallbackMode: z.string().min(1).default('read-only'),
        })
        .prefault({}),
    })
    .prefault({}),
})

/** The `selfHealing` section as written. */
export type SelfHealingConfig = z.input<typeof selfHealingSchema>
/** The `selfHealing` section with defaults applied. */
export type ResolvedSelfHealing = z.output<typeof selfHealingSchema>

/** How a service is put into its fallback mode. */
export const degradeActionSchema = z.discriminatedUnion('type', [
  hookActionSchema,
  z.strictObject({
    /** Restart the service with this environment variable set. */
    type: z.literal('env'),
    name: z.string().min(1),
    /** @default '1' */
    value: z.string().default('1'),
  }),
])

/** Healing settings of one service (the `services.<name>` entry). */
export const serviceHealingSchema = z.strictObject({
  executor: executorSchema.optional(),
  /** Services this one needs, e.g. `["claude-flow"]`. @default [] */
  dependsOn: z.array(z.string().min(1)).default([]),
  /** Safe restart: state backup. */
  backup: z
    .strictObject({
      /** Command that writes a backup. */
      command: z.array(z.string().min(1)).min(1).optional(),
      /** Command that restores it. */
      restoreCommand: z.array(z.string().min(1)).min(1).optional(),
      /** Files or folders copied to `dir` and copied back on restore. */
      paths: z.array(z.string().min(1)).default([]),
      /** @default 'backups' */
      dir: z.string().default('backups'),
    })
    .optional(),
  /** Safe restart: cache or state paths removed before the restart. @default [] */
  clearPaths: z.array(z.string().min(1)).default([]),
  /** Graceful restart: hooks that save and restore the service's state. */
  state: z
    .strictObject({ save: hookActionSchema.optional(), restore: hookActionSchema.optional() })
    .optional(),
  /** Rollback: where the previous version comes from. */
  rollback: z
    .discriminatedUnion('source', [
      z.strictObject({
        source: z.literal('git'),
        /** Repository folder. @default '.' */
        dir: z.string().default('.'),
        /** Ref or tag to return to; the tag before the current one when absent. */
        ref: z.string().optional(),
      }),
      z.strictObject({ source: z.literal('image'), image: z.string().min(1) }),
      z.strictObject({ source: z.literal('kubernetes'), revision: z.number().int().positive().optional() }),
    ])
    .optional(),
  /** Graceful degradation: how to switch the service to its fallback mode. */
  degrade: degradeActionSchema.optional(),
})

/** Healing settings of one service as written. */
export type ServiceHealingConfig = z.input<typeof serviceHealingSchema>
/** Healing settings of one service with defaults applied. */
export type ResolvedServiceHealing = z.output<typeof serviceHealingSchema>
