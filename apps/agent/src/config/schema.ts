import { alertRuleSchema, channelOptionsSchema } from '@noa/alerts/config'
import { executorSchema, selfHealingSchema, serviceHealingSchema } from '@noa/healing'
import { serviceCheckSchema } from '@noa/health/config'
import { storeConfigSchema } from '@noa/store'
import { z } from 'zod'
import { incidentsSchema } from './incidents.ts'
import { maintenanceConfigSchema } from './maintenance.ts'
import { otlpSchema } from './otlp.ts'
import { remoteWriteSchema } from './remote-write.ts'
import { serviceSloSchema, sloDefaultsSchema } from './slo.ts'
import { statusPageSchema } from './status-page.ts'

/** Every interval of the agent is at least this many ms (short enough for tests). */
export const MIN_INTERVAL_MS = 100

const interval = (fallback: number) => z.number().int().min(MIN_INTERVAL_MS).default(fallback)
const enabled = (value: boolean) => z.boolean().default(value)

/** Events a hook can subscribe to. */
export const HOOK_EVENTS = [
  'change',
  'alert.firing',
  'alert.resolved',
  'alert.pending',
  'healing.started',
  'healing.step',
  'healing.finished',
  'approval.requested',
  'approval.decided',
] as const
export type HookEvent = (typeof HOOK_EVENTS)[number]

/** The seed's `healthChecks` section: defaults for every service's check. */
export const healthChecksSchema = z
  .strictObject({
    enabled: enabled(true),
    /** Default time between checks of a service, ms. @default 30000 */
    interval: interval(30_000),
    /** Default time limit of one attempt, ms. @default 5000 */
    timeout: z.number().int().min(MIN_INTERVAL_MS).default(5_000),
    /** Default retries after a failed attempt. @default 3 */
    retries: z.number().int().min(0).max(20).default(3),
    /** Check attempts running at once. @default 64 */
    concurrency: z.number().int().positive().default(64),
    /** The seed's endpoint list: each becomes an HTTP-checked service. @default [] */
    endpoints: z
      .array(
        z.strictObject({
          name: serviceCheckSchema.shape.name,
          url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
          critical: z.boolean().optional(),
          dependsOn: z.array(z.string().min(1)).optional(),
        }),
      )
      .default([]),
  })
  .prefault({})

const MIB = 1024 * 1024

/** Each scrape limit: its bounds, and its default under `metrics.scrapeLimits`. */
const SCRAPE_LIMITS = {
  /** Most series read from one scrape; the rest are counted as dropped, not read. */
  series: { max: 1_000_000, fallback: 10_000 },
  /** Most labels on one series (the metric name not counted). */
  labelCount: { max: 1_000, fallback: 64 },
  /** Longest label name, UTF-8 bytes. */
  labelNameLength: { max: MIB, fallback: 128 },
  /** Longest label value (and metric name), UTF-8 bytes. */
  labelValueLength: { max: MIB, fallback: 1_024 },
  /** Largest /metrics body read; a bigger one is refused as a whole. */
  bytes: { min: 1_024, max: 64 * MIB, fallback: 8 * MIB },
  /** Most business figures kept from one service (`business_metric{name}` and `business_*`). */
  businessKeys: { max: 10_000, fallback: 100 },
  /** Longest business figure name kept, characters. */
  businessKeyLength: { max: 1_024, fallback: 128 },
} as const

const limit = (key: keyof typeof SCRAPE_LIMITS) => {
  const bounds: { min?: number; max: number } = SCRAPE_LIMITS[key]
  return z
    .number()
    .int()
    .min(bounds.min ?? 1)
    .max(bounds.max)
}

/**
 * What one scrape of a service may make the agent hold: what is over is dropped and counted in
 * `noa_scrape_dropped_series_total{service,reason}`. Defaults under `metrics.scrapeLimits`.
 */
export const scrapeLimitsSchema = z.object({
  /** @default 10000 */
  series: limit('series').default(SCRAPE_LIMITS.series.fallback),
  /** @default 64 */
  labelCount: limit('labelCount').default(SCRAPE_LIMITS.labelCount.fallback),
  /** @default 128 */
  labelNameLength: limit('labelNameLength').default(SCRAPE_LIMITS.labelNameLength.fallback),
  /** @default 1024 */
  labelValueLength: limit('labelValueLength').default(SCRAPE_LIMITS.labelValueLength.fallback),
  /** @default 8388608 (8 MiB) */
  bytes: limit('bytes').default(SCRAPE_LIMITS.bytes.fallback),
  /** @default 100 */
  businessKeys: limit('businessKeys').default(SCRAPE_LIMITS.businessKeys.fallback),
  /** @default 128 */
  businessKeyLength: limit('businessKeyLength').default(SCRAPE_LIMITS.businessKeyLength.fallback),
})

/** The resolved limits of one service's scrape. */
export type ScrapeLimits = z.infer<typeof scrapeLimitsSchema>

/** Where a service's Prometheus metrics are scraped. */
export const scrapeSchema = z.union([
  z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
    /** @default metrics.scrapeTimeout */
    timeout: z.number().int().min(MIN_INTERVAL_MS).optional(),
    /** This service's own limits, each over the one in `metrics.scrapeLimits`. @default metrics.scrapeLimits */
    limits: z
      .object(
        Object.fromEntries(
          Object.keys(SCRAPE_LIMITS).map((k) => [k, limit(k as keyof typeof SCRAPE_LIMITS).optional()]),
        ) as { [K in keyof typeof SCRAPE_LIMITS]: z.ZodOptional<ReturnType<typeof limit>> },
      )
      .strict()
      .optional(),
  }),
])

/** Most tags one service may carry; a tag and a group are at most this many characters. */
export const SERVICE_TAGS_MAX = 32
export const SERVICE_LABEL_LENGTH = 64

// Tags and groups are shown in the dashboard and used as query values, so they are short
// words: no spaces or commas (a comma separates tags in `?tag=a,b`).
const serviceLabel = z
  .string()
  .max(SERVICE_LABEL_LENGTH, `expected at most ${SERVICE_LABEL_LENGTH} characters`)
  .regex(
    /^[A-Za-z0-9._:/-]+$/,
    'expected 1 or more letters, digits, ".", "_", ":", "/" or "-" (no space or comma)',
  )

/** What the agent adds to a service's health check: scraping, its executor and healing overrides. */
export const serviceExtrasSchema = z.strictObject({
  /** Free labels to filter the fleet by (`GET /api/services?tag=`), at most 32, unique. @default [] */
  tags: z
    .array(serviceLabel)
    .max(SERVICE_TAGS_MAX, `at most ${SERVICE_TAGS_MAX} tags`)
    .refine((tags) => new Set(tags).size === tags.length, 'tags must be unique')
    .optional(),
  /** The group the dashboard lists the service under (`GET /api/services?group=`). */
  group: serviceLabel.optional(),
  /** The service's /metrics URL, scraped every metrics round into the snapshot. */
  metrics: scrapeSchema.optional(),
  /** How healing acts on the service (local supervisor, pm2, kubernetes, command, http, ...). */
  executor: executorSchema.optional(),
  /** Per-service healing settings (backup, state hooks, rollback source, degrade action). */
  healing: serviceHealingSchema.omit({ executor: true, dependsOn: true }).optional(),
  /** `noa drill` may inject faults into this service (kill, stop, slow it down); others only with `--yes`. @default false */
  drill: z.boolean().optional(),
  /** The service's objectives (availability, latency) and their error budgets; see the README's SLOs. */
  slo: serviceSloSchema.optional(),
  /** Shown on the public status page (`/status`, no token), under its `group`. @default false */
  public: z.boolean().optional(),
})

/** One service: its health check (from @noa/health) plus the agent's extras, in one strict object. */
export const serviceSchema = serviceCheckSchema.safeExtend(serviceExtrasSchema.shape)

/** What every channel entry takes besides its type's options. */
const channelRoute = {
  /** @default true */
  enabled: z.boolean().optional(),
  minSeverity: z.enum(['critical', 'warning', 'info']).optional(),
  /** @default true */
  sendResolved: z.boolean().optional(),
}

/** One alert channel as the seed writes it: keyed by name, `enabled`, the type defaults to the name. */
export const channelEntrySchema = z.looseObject({
  ...channelRoute,
  /** Channel type; defaults to the entry's name (console, file, webhook, email, slack, discord, pagerduty, alertmanager). */
  type: z.string().optional(),
})

/**
 * The entry of one channel type: the type's own options (strict, from @noa/alerts) plus
 * `enabled`, `minSeverity` and `sendResolved`; `type` may be left out when the entry's name is the type.
 */
export const channelEntrySchemas = Object.fromEntries(
  channelOptionsSchema.options.map((o) => [
    o.shape.type.value,
    o.extend({ ...channelRoute, type: o.shape.type.optional() }),
  ]),
) as Record<string, z.ZodType>

const DEFAULT_CHANNELS = {
  console: { enabled: true, logLevel: 'info' },
  file: { enabled: true, path: './logs/alerts', rotation: 'daily', maxFiles: 30 },
}

/** The `alerting` section with the given schema of one channel entry. */
const alertingOf = <C extends z.ZodType>(entry: C) =>
  z
    .strictObject({
      enabled: enabled(true),
      /**
       * Channels by name, each `{ enabled, type = name, minSeverity, sendResolved, ...the type's options }`
       * (the defaults fit either entry schema). @default console and a daily file in logs/alerts
       */
      channels: z.record(z.string(), entry).prefault(DEFAULT_CHANNELS as never),
      /**
       * Alert rules; without them the default set. The entry `"defaults"` stands for the
       * default set, so a config adds its own rules to it: `["defaults", { ... }]`.
       */
      rules: z
        .array(
          z.union([z.literal('defaults'), alertRuleSchema], {
            error: 'expected "defaults" (the default rules) or a rule { name, condition, severity, ... }',
          }),
        )
        .optional(),
      /** Alerts that fire within this window go out as one notification. @default 1000 */
      groupWait: z.number().int().min(0).default(1000),
      /** Re-send a firing notification this often; 0 never. @default 0 */
      repeatInterval: z.number().int().min(0).default(0),
    })
    .prefault({})

export const alertingSchema = alertingOf(channelEntrySchema)

export const metricsSchema = z
  .strictObject({
    enabled: enabled(true),
    /** Time between collection rounds, ms. @default 10000 */
    collectInterval: interval(10_000),
    /** Days of JSONL files kept. @default 30 */
    retentionDays: z.number().int().min(1).max(36_500).default(30),
    /** The seed's daily JSONL archive. */
    storage: z
      .strictObject({
        enabled: enabled(true),
        /** @default 'data/metrics' */
        path: z.string().min(1).default('data/metrics'),
        /** @default false */
        gzip: z.boolean().default(false),
      })
      .prefault({}),
    /** Sections collected. */
    categories: z
      .strictObject({
        system: enabled(true),
        application: enabled(true),
        business: enabled(true),
        custom: enabled(true),
      })
      .prefault({}),
    /** Time limit of one /metrics scrape, ms. @default 5000 */
    scrapeTimeout: z.number().int().min(MIN_INTERVAL_MS).default(5_000),
    /** What one scrape of a service may make the agent hold (a service's `metrics.limits` overrides). */
    scrapeLimits: scrapeLimitsSchema.strict().prefault({}),
  })
  .prefault({})

export const dashboardSchema = z
  .strictObject({
    enabled: enabled(true),
    /** @default '127.0.0.1' */
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port. @default 9300 */
    port: z.number().int().min(0).max(65_535).default(9300),
    /** Time between `status` events on /api/sse, ms. @default 5000 */
    refreshInterval: interval(5_000),
    /** Accepted for the seed's config; the dashboard chooses its widgets. */
    widgets: z.array(z.string()).optional(),
    /** Folder of the dashboard build. @default apps/dashboard/dist next to the agent package */
    staticDir: z.string().min(1).optional(),
    /** Origins allowed by CORS; empty means CORS is off. @default [] */
    corsOrigins: z.array(z.string().min(1)).default([]),
  })
  .prefault({})

const integration = z.strictObject({ enabled: z.boolean().default(false) }).prefault({})

/**
 * The seed's `integrations`: accepted and shown; Prometheus scrapes `/metrics` (or receives
 * `prometheus.remoteWrite`), OTLP receivers are sent `otlp`, the others go through hooks.
 */
export const integrationsSchema = z
  .strictObject({
    prometheus: z
      .strictObject({
        /**
         * Accepted and shown, as the other integrations' (Prometheus scrapes `/metrics` either
         * way); written `false`, it turns `remoteWrite` off too, as `enabled: false` turns off a
         * whole section everywhere in the file. @default false
         */
        enabled: z.boolean().optional(),
        remoteWrite: remoteWriteSchema.optional(),
      })
      .prefault({}),
    /** OTLP/HTTP metrics export to an OpenTelemetry Collector or any OTLP receiver. */
    otlp: otlpSchema.optional(),
    grafana: integration,
    sentry: integration,
    datadog: integration,
  })
  .prefault({})

const bucket = (limit: number, windowMs: number) =>
  z
    .strictObject({
      limit: z.number().int().positive().default(limit),
      windowMs: z.number().int().positive().default(windowMs),
    })
    .prefault({})

/**
 * An `api.allowedHosts` entry: a host name or address, with a port or without one (any port),
 * an `[IPv6]` address, or `.example.com` for the name and every name under it.
 */
export const ALLOWED_HOST =
  /^(?:\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

export const apiSchema = z
  .strictObject({
    /**
     * Host names (or `host:port`) the API answers besides the bind address, localhost,
     * 127.0.0.1 and [::1]; a request naming another host gets 421, so a web page that
     * rebinds its DNS name to this agent cannot read it. List the names the agent is reached
     * by when it binds 0.0.0.0 or :: (a Kubernetes Service name, a reverse proxy's name).
     * `.example.com` allows the name and every name under it. @default []
     */
    allowedHosts: z
      .array(
        z
          .string()
          .regex(
            ALLOWED_HOST,
            'expected a host name or address, with or without :port, an [IPv6] address, or .domain for a name and its subdomains',
          )
          .transform((h) => h.toLowerCase()),
      )
      .default([]),
    /** Largest request body, bytes. @default 65536 */
    bodyLimit: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    /** Write requests per client. @default 30 per minute */
    writeRateLimit: bucket(30, 60_000),
    /** Beats of push checks per client (`/api/push/:token`). @default 120 per minute */
    pushRateLimit: bucket(120, 60_000),
    /** New SSE connections per client. @default 30 per minute */
    sseRateLimit: bucket(30, 60_000),
    /** Open SSE streams at most. @default 2000 */
    sseMaxClients: z.number().int().positive().default(2000),
    /** Events kept for Last-Event-ID resume. @default 1000 */
    sseBufferSize: z.number().int().positive().default(1000),
    /** @default 15000 */
    sseHeartbeat: interval(15_000),
    /** Bytes a client may lag before it is dropped. @default 1048576 */
    sseMaxQueuedBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
  })
  .prefault({})

/** One event hook: a command (argv, the event JSON on stdin) or a webhook. */
export const hookSchema = z
  .strictObject({
    /** Events that run the hook. */
    on: z.array(z.enum(HOOK_EVENTS)).min(1),
    /** argv, run without a shell; the event is on stdin and in NOA_EVENT* variables. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** A URL the event is POSTed to as JSON (a secret, like every webhook URL: write `${NAME}`). */
    webhook: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
    /** Headers of the webhook's request; credentials among them come from the environment. */
    headers: z.record(z.string().min(1), z.string()).optional(),
    /**
     * `never`: a 3xx answer is a failed hook whose log names where it points. `same-origin`:
     * redirects within the webhook's origin are followed; one to another origin still fails, so
     * headers and the event never leave the origin. @default 'never'
     */
    followRedirects: z.enum(['never', 'same-origin']).default('never'),
    /** @default 10000 */
    timeout: z.number().int().min(MIN_INTERVAL_MS).default(10_000),
  })
  .refine((h) => (h.command === undefined) !== (h.webhook === undefined), {
    message: 'give exactly one of command or webhook',
    path: ['command'],
  })
  .refine((h) => h.webhook !== undefined || h.headers === undefined, {
    message: 'headers are for a webhook hook',
    path: ['headers'],
  })

export const logsSchema = z
  .strictObject({
    /** Folder of `<component>.log`, rotated daily. @default 'logs/monitoring' */
    dir: z.string().min(1).default('logs/monitoring'),
    /** @default 'info' (LOG_LEVEL overrides) */
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Days of rotated files kept. @default 30 */
    retentionDays: z.number().int().min(1).max(3650).default(30),
    /** Keep the healing audit in the store (AUDIT_ENABLED overrides); off keeps this run's in memory. @default true */
    audit: z.boolean().default(true),
  })
  .prefault({})

/**
 * Agents on one PostgreSQL store. Alerting always has one leader (the `alerting` lease);
 * sharing the checks splits the services among the live agents too, so that a fleet too big
 * for one agent is checked by several.
 */
export const clusterSchema = z
  .strictObject({
    /**
     * Each service is checked and healed by one live agent, chosen by hashing; every agent reads
     * the others' results from the store, so each still shows and alerts on the whole fleet.
     * Needs a postgres store. @default false
     */
    shareChecks: z.boolean().default(false),
    /** An agent that has not renewed its membership within this is gone: its services move. @default 30000 */
    memberTtl: z.number().int().min(1000).default(30_000),
  })
  .prefault({})

export const watchdogSchema = z
  .strictObject({
    /** Restarts of the agent allowed within `window` before the watchdog gives up. @default 5 */
    maxRestarts: z.number().int().min(0).default(5),
    /** @default 600000 */
    window: z.number().int().positive().default(600_000),
    /** Pause before a restart, ms. @default 1000 */
    restartDelay: z.number().int().min(0).default(1000),
  })
  .prefault({})

/**
 * Top-level sections; `services` and the channel entries are passed so validation and the
 * JSON Schema can differ there (validation checks them one by one to name them in errors).
 */
/**
 * Many services of one shape: `template` is a service whose strings may hold `{{ target }}`
 * (a string target) or `{{ field }}` (a field of an object target); one service per target.
 */
export function serviceTemplateSchema<S extends z.ZodType>(service: S) {
  return z.strictObject({
    /** A service with placeholders; its `name` must hold one, so that every name differs. */
    template: service,
    /** One service each: strings (`{{ target }}`) or objects (`{{ host }}`, `{{ port }}`, ...). */
    targets: z
      .array(
        z.union([z.string().min(1), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))]),
      )
      .min(1, 'a template needs at least one target'),
  })
}

function buildSchema<S extends z.ZodType, C extends z.ZodType>(services: S, channel: C) {
  return z.strictObject({
    $schema: z.string().optional(),
    healthChecks: healthChecksSchema,
    selfHealing: selfHealingSchema.prefault({}),
    alerting: alertingOf(channel),
    metrics: metricsSchema,
    dashboard: dashboardSchema,
    integrations: integrationsSchema,
    /** The services noa watches and heals. */
    services: z.array(services).default([]),
    /** Services made from a template, one per target (10 web servers from one entry). @default [] */
    serviceTemplates: z.array(serviceTemplateSchema(services)).default([]),
    /**
     * A folder of more services, one or more per file (`*.yaml`, `*.yml`, `*.json`, each a list
     * of services or `{ services, serviceTemplates }`), relative to the config file's folder.
     * @default 'services.d' (used when it exists)
     */
    servicesDir: z.string().min(1).optional(),
    /** Where noa keeps what it sees. @default SQLite in data/noa.db */
    store: storeConfigSchema.default({ type: 'sqlite', path: 'data/noa.db' }),
    api: apiSchema,
    hooks: z.array(hookSchema).default([]),
    logs: logsSchema,
    watchdog: watchdogSchema,
    cluster: clusterSchema,
    /** Defaults of the services' SLOs. */
    slo: sloDefaultsSchema,
    /** The public status page's title and description (`/status`). */
    statusPage: statusPageSchema.optional(),
    /** Maintenance windows: no notification and no healing for the services they cover. @default [] */
    maintenance: maintenanceConfigSchema.default([]),
    incidents: incidentsSchema,
  })
}

/** The whole configuration, for the JSON Schema (every field of every service and channel). */
export const configSchema = buildSchema(
  serviceSchema,
  z.union(Object.values(channelEntrySchemas) as [z.ZodType, z.ZodType, ...z.ZodType[]]),
)
/** The configuration as validated: services and channels are checked one by one to name them in errors. */
export const configShapeSchema = buildSchema(z.unknown(), channelEntrySchema)

export type AgentConfig = Omit<z.output<typeof configShapeSchema>, 'services' | 'serviceTemplates'> & {
  /** Every service: those written out, those from templates and those from `servicesDir`. */
  services: AgentService[]
}
export type ServiceInput = z.input<typeof serviceSchema>
export type AgentService = z.output<typeof serviceSchema>
export type HookConfig = z.output<typeof hookSchema>
