import { describe, expect, it } from 'vitest'
import { isValidInstrumentName, labelName, prometheusName, unitSuffix } from './names.ts'

describe('prometheusName', () => {
  it.each([
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds', 'seconds'],
    [
      'db.client.operation.duration',
      'ms',
      'histogram',
      'db_client_operation_duration_milliseconds',
      'milliseconds',
    ],
    ['process.memory.usage', 'By', 'up_down_counter', 'process_memory_usage_bytes', 'bytes'],
    ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio', 'ratio'],
    ['system.cpu.utilization', '1', 'observable_gauge', 'system_cpu_utilization_ratio', 'ratio'],
    ['jobs.queued', '1', 'up_down_counter', 'jobs_queued', undefined],
    ['http.server.requests', '{request}', 'counter', 'http_server_requests_total', undefined],
    ['network.io', 'By/s', 'gauge', 'network_io_bytes_per_second', 'bytes_per_second'],
    ['retries', '{retry}/min', 'gauge', 'retries_per_minute', 'per_minute'],
    ['events', '1/s', 'gauge', 'events_per_second', 'per_second'],
    ['queue-depth', 'items', 'gauge', 'queue_depth_items', 'items'],
    ['request_duration_seconds', 's', 'histogram', 'request_duration_seconds', 'seconds'],
    ['seconds', 's', 'gauge', 'seconds_seconds', 'seconds'],
    ['jobs_total', undefined, 'counter', 'jobs_total', undefined],
    ['uptime_total', 's', 'observable_counter', 'uptime_seconds_total', 'seconds'],
    ['a..b--c/d', undefined, 'gauge', 'a_b_c_d', undefined],
    ['trailing.', 'KiBy', 'gauge', 'trailing_kibibytes', 'kibibytes'],
    ['temp', 'Cel', 'gauge', 'temp_celsius', 'celsius'],
  ] as const)('should write %s in %s (%s) as %s', (name, unit, kind, expected, expectedUnit) => {
    expect(prometheusName(name, unit, kind)).toEqual({ name: expected, unit: expectedUnit })
  })
})

describe('unitSuffix', () => {
  it('should drop annotations and keep what a name may hold', () => {
    expect(unitSuffix('{packets}', false)).toBe('')
    expect(unitSuffix(' ', false)).toBe('')
    expect(unitSuffix('m/s', false)).toBe('meters_per_second')
    expect(unitSuffix('By/{x}', false)).toBe('bytes')
    expect(unitSuffix('%', true)).toBe('percent')
    expect(unitSuffix('km/h', false)).toBe('km_per_hour')
  })
})

describe('labelName', () => {
  it.each([
    ['http.response.status_code', 'counter', 'http_response_status_code'],
    ['service-name', 'counter', 'service_name'],
    ['2xx', 'counter', 'key_2xx'],
    ['__meta', 'counter', 'key__meta'],
    ['le', 'histogram', 'key_le'],
    ['le', 'gauge', 'le'],
    ['', 'gauge', 'key_'],
    ['ünicode', 'gauge', '_nicode'],
  ] as const)('should write attribute %s (%s) as %s', (key, kind, expected) => {
    expect(labelName(key, kind)).toBe(expected)
  })
})

describe('isValidInstrumentName', () => {
  it('should take the API syntax: a letter, then up to 254 of [a-zA-Z0-9_.-/]', () => {
    expect(isValidInstrumentName('http.server.duration')).toBe(true)
    expect(isValidInstrumentName('a/b-c_d')).toBe(true)
    expect(isValidInstrumentName(`a${'b'.repeat(254)}`)).toBe(true)
    expect(isValidInstrumentName(`a${'b'.repeat(255)}`)).toBe(false)
    expect(isValidInstrumentName('1abc')).toBe(false)
    expect(isValidInstrumentName('a b')).toBe(false)
    expect(isValidInstrumentName('')).toBe(false)
    expect(isValidInstrumentName(undefined)).toBe(false)
  })
})
