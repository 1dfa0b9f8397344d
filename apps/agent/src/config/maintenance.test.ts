import { describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from './load.ts'

const services = [
  { name: 'api', tags: ['edge'], check: { type: 'http', url: 'http://127.0.0.1:1/health' } },
  { name: 'db', check: { type: 'tcp', host: '127.0.0.1', port: 5432 } },
]

describe('the maintenance section of the config', () => {
  it('should take one-off, cron and weekly windows, with defaults', () => {
    const result = validateConfig({
      services,
      maintenance: [
        { id: 'swap', services: ['db'], reason: 'disk swap', startsAt: 1000, endsAt: 2000 },
        { id: 'nightly', tags: ['edge'], reason: 'backups', cron: '0 2 * * *', duration: 1_800_000 },
        {
          id: 'patch',
          services: ['api'],
          reason: 'patch day',
          weekly: { days: ['tue'], at: '06:00' },
          duration: 3_600_000,
          timeZone: 'Europe/Berlin',
        },
      ],
    })
    if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
    expect(result.config.maintenance.map((w) => [w.id, w.timeZone, w.services, w.tags])).toEqual([
      ['swap', 'UTC', ['db'], []],
      ['nightly', 'UTC', [], ['edge']],
      ['patch', 'Europe/Berlin', ['api'], []],
    ])
    expect(validateConfig({ services }).ok && 'defaults to no windows').toBeTruthy()
  })

  it('should list every problem with its path', () => {
    const result = validateConfig({
      services,
      maintenance: [
        { id: 'both', services: ['api'], reason: 'x', endsAt: 2000, cron: '* * * * *' },
        { id: 'bad-cron', services: ['api'], reason: 'x', cron: '61 * * * *', duration: 60_000 },
        { id: 'no-duration', services: ['api'], reason: 'x', weekly: { days: ['mon'], at: '25:00' } },
        {
          id: 'zone',
          services: ['nope'],
          tags: ['missing'],
          reason: 'x',
          cron: '0 0 * * *',
          duration: 60_000,
          timeZone: 'Mars/Base',
        },
        { id: 'empty', reason: 'x', endsAt: 5, startsAt: 10, tyop: 1 },
        { id: 'both', services: ['db'], reason: 'again', endsAt: 2000 },
      ],
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    const lines = formatConfigIssues(result.issues)
    const expected = [
      /^maintenance\.0\.endsAt: .*exactly one of them/,
      /^maintenance\.1\.cron: minute: 61 is outside 0-59/,
      /^maintenance\.2\.weekly\.at: expected HH:MM/,
      /^maintenance\.2\.duration: a recurring window needs `duration`/,
      /^maintenance\.3\.timeZone: unknown IANA time zone "Mars\/Base"/,
      /^maintenance\.4\.tyop: /,
      /^maintenance\.5\.id: id "both" is used twice/,
    ]
    for (const re of expected)
      expect(
        lines.some((l) => re.test(l)),
        `${re} in\n${lines.join('\n')}`,
      ).toBe(true)
  })

  it('should refuse a window naming a service the config lacks or a tag no service has', () => {
    const result = validateConfig({
      services,
      maintenance: [{ id: 'w', services: ['api', 'nope'], tags: ['missing'], reason: 'x', endsAt: 2000 }],
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(formatConfigIssues(result.issues)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^maintenance\.0\.services\.1: unknown service "nope"/),
        expect.stringMatching(/^maintenance\.0\.tags\.0: no service has the tag "missing"/),
      ]),
    )
  })
})
