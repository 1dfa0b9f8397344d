import { type OptionsSchema, parseOptions } from '@noa/core'

/** Option keys whose values are secrets: their values never appear in an error. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['url', 'secret', 'password', 'routingKey', 'headers'])

/**
 * Validates a channel's options with @noa/core's parser, throwing one ConfigError that lists
 * every problem under `path`; the values of secret keys are redacted.
 */
export function parseChannelOptions<T>(schema: OptionsSchema<T>, input: unknown, path: string): T {
  return parseOptions(schema, input, path, { secretKeys: SECRET_KEYS })
}
