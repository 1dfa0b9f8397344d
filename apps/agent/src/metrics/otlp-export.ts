import { hostname } from 'node:os'
import type { Clock, Logger } from '@noa/core'
import type { Registry } from '@noa/metrics'
import { type OtlpExport, type OtlpExportOptions, startOtlpExport } from '@noa/metrics/otlp'
import type { OtlpConfig } from '../config/otlp.ts'
import { USER_AGENT, VERSION } from '../version.ts'

/** How long a stopping agent tries its last OTLP export, ms. */
const OTLP_STOP_MS = 5_000

/** Starts the agent's OTLP export: what `collect` gives, every `intervalMs`, until stopped. */
export type OtlpStarter = (collect: NonNullable<OtlpExportOptions['collect']>, agentId: string) => OtlpExport

/**
 * The OTLP export of `integrations.otlp`, ready to start with the agent. The resource names
 * the agent (`service.name: noa`, its version, host and agent id) under the user's attributes;
 * the points sent, failed and dropped are counted in the registry (`noa_otlp_*`).
 */
export function otlpStarter(
  config: OtlpConfig,
  deps: { registry: Registry; clock: Clock; logger: Logger },
): OtlpStarter {
  return (collect, agentId) =>
    startOtlpExport({
      registry: deps.registry,
      collect,
      url: config.url,
      encoding: config.protocol === 'http/json' ? 'json' : 'protobuf',
      headers: config.headers,
      timeoutMs: config.timeout,
      maxPointsPerRequest: config.maxPointsPerRequest,
      intervalMs: config.intervalMs,
      resource: {
        'service.name': 'noa',
        'service.version': VERSION,
        'service.instance.id': agentId,
        'host.name': hostname(),
        ...config.resource,
      },
      scope: { name: 'noa', version: VERSION },
      userAgent: USER_AGENT,
      stopDeadlineMs: OTLP_STOP_MS,
      clock: deps.clock,
      logger: deps.logger,
    })
}
