import { describe, expect, it } from 'vitest'
import { at, exists, type Json, read, yamlDoc } from './repo.ts'

const ci = yamlDoc('.github/workflows/monitoring-ci.yml')
const release = yamlDoc('.github/workflows/release.yml')
const jobs = at(ci, 'jobs') as Record<string, Json>
const steps = (job: Json) => (job.steps as Json[]) ?? []
const runs = (job: Json) => steps(job).flatMap((s) => (typeof s.run === 'string' ? [s.run] : []))
const rootScripts = JSON.parse(read('package.json')).scripts as Record<string, string>
const PNPM_BUILTINS = new Set(['install', 'exec', 'changeset', 'dlx'])

/** Every `pnpm ...` command in a shell snippet, as argv (redirections such as `2>&1` left out). */
const pnpmCalls = (script: string) =>
  [...script.matchAll(/(?:^|[;&|(]\s*|\n\s*)pnpm\s+([^\n;&|)]+)/g)].map((m) =>
    (m[1] as string)
      .trim()
      .split(/\s+/)
      .filter((token) => !/^\d*[<>]/.test(token)),
  )

describe('monitoring-ci.yml', () => {
  it('should run on push and pull requests to main and develop, every 6 hours and by hand', () => {
    const on = at(ci, 'on') as Json
    expect(at(on, 'push', 'branches')).toEqual(['main', 'develop'])
    expect(at(on, 'pull_request', 'branches')).toEqual(['main', 'develop'])
    expect((on.schedule as Json[]).map((s) => s.cron)).toContain('0 */6 * * *')
    expect(on).toHaveProperty('workflow_dispatch')
  })

  it("should have the seed's jobs", () => {
    expect(Object.keys(jobs)).toEqual([
      'ci',
      'health-check-tests',
      'metrics-collection-tests',
      'self-healing-tests',
      'integration-tests',
      'deployment-readiness',
      'performance-benchmark',
    ])
  })

  it('should run .ci/run itself, so CI here and there cannot drift', () => {
    expect(exists('.ci/run')).toBe(true)
    expect(runs(jobs.ci as Json)).toContain('bash .ci/run')
    // Every pnpm command of .ci/run is one the workflow's jobs also use.
    const ciRun = read('.ci/run')
    const wanted = pnpmCalls(ciRun).map((a) => a.join(' '))
    expect(wanted).toEqual(expect.arrayContaining(['install --frozen-lockfile', 'test']))
    const used = Object.values(jobs).flatMap((j) =>
      runs(j).flatMap((r) => pnpmCalls(r).map((a) => a.join(' '))),
    )
    for (const cmd of wanted.filter((c) => c.startsWith('install'))) expect(used).toContain(cmd)
  })

  it('should call only pnpm scripts that exist', () => {
    const all = Object.values(jobs).flatMap((j) => runs(j).flatMap(pnpmCalls))
    expect(all.length).toBeGreaterThan(10)
    for (const argv of all) {
      if (argv[0] === '--filter') {
        const pkg = argv[1] as string
        const dir = pkg.replace('@noa/', '')
        const path = exists(`packages/${dir}/package.json`) ? `packages/${dir}` : `apps/${dir}`
        const scripts = JSON.parse(read(`${path}/package.json`)).scripts as Record<string, string>
        const script = argv[2] as string
        if (script !== 'exec') expect(Object.keys(scripts), `${pkg} ${script}`).toContain(script)
      } else if (!PNPM_BUILTINS.has(argv[0] as string)) {
        expect(Object.keys(rootScripts), `pnpm ${argv.join(' ')}`).toContain(argv[0])
      }
    }
  })

  it('should give the test jobs PostgreSQL and Redis and their URLs', () => {
    const env = at(ci, 'env') as Json
    expect(env.NOA_TEST_POSTGRES_URL).toBe('postgres://postgres@127.0.0.1:5432/test')
    expect(env.NOA_TEST_REDIS_URL).toBe('redis://127.0.0.1:6379')
    for (const name of [
      'ci',
      'health-check-tests',
      'metrics-collection-tests',
      'self-healing-tests',
      'integration-tests',
    ]) {
      const services = at(jobs[name], 'services') as Json
      expect(at(services, 'postgres', 'image'), name).toMatch(/^postgres:\d+/)
      expect(at(services, 'postgres', 'ports'), name).toEqual(['5432:5432'])
      expect(at(services, 'redis', 'image'), name).toMatch(/^redis:\d+/)
      expect(at(services, 'redis', 'ports'), name).toEqual(['6379:6379'])
    }
  })

  it('should check the config, a dry run, error handling and upload what the jobs produced', () => {
    const health = runs(jobs['health-check-tests'] as Json).join('\n')
    expect(health).toContain('$NOA validate config/monitoring-config.json')
    expect(health).toContain('$NOA health once --json')
    expect(health).toMatch(/test "\$code" -eq 2/)
    expect(runs(jobs['self-healing-tests'] as Json).join('\n')).toMatch(/heal dependency-failure .*--dry-run/)
    expect(runs(jobs['self-healing-tests'] as Json).join('\n')).toMatch(/heal memory-leak .*--dry-run/)
    expect(runs(jobs['integration-tests'] as Json).join('\n')).toContain('test-output/report.md')
    expect(String(at(ci, 'env', 'NOA'))).toMatch(/^node apps\/agent\/bin\/noa\.mjs$/)
    for (const name of Object.keys(jobs).filter((n) => n !== 'deployment-readiness')) {
      const upload = steps(jobs[name] as Json).find((s) =>
        String(s.uses).startsWith('actions/upload-artifact@'),
      )
      expect(upload, name).toBeDefined()
      expect(upload?.if, name).toBe('always()')
    }
  })

  it('should benchmark daily and by hand only, and check deployments on main and pull requests', () => {
    const daily = (at(ci, 'on', 'schedule') as Json[])
      .map((s) => String(s.cron))
      .find((c) => c !== '0 */6 * * *')
    expect(daily).toMatch(/^\d+ \d+ \* \* \*$/)
    const bench = jobs['performance-benchmark'] as Json
    expect(bench.if).toContain(`github.event.schedule == '${daily}'`)
    expect(bench.if).toContain("github.event_name == 'workflow_dispatch'")
    expect(runs(bench).join('\n')).toContain('pnpm bench')
    const deploy = jobs['deployment-readiness'] as Json
    expect(deploy.if).toContain("github.ref == 'refs/heads/main'")
    expect(runs(deploy).join('\n')).toContain('vitest run test/deploy')
  })

  it('should pin every action to a released version', () => {
    for (const wf of [ci, release])
      for (const job of Object.values(at(wf, 'jobs') as Record<string, Json>))
        for (const s of steps(job)) if (s.uses) expect(String(s.uses)).toMatch(/^[\w-]+\/[\w-]+@v\d+$/)
  })
})

describe('release.yml', () => {
  it('should open version PRs and publish the @noa/* packages with changesets', () => {
    const job = at(release, 'jobs', 'release') as Json
    const action = steps(job).find((s) => String(s.uses).startsWith('changesets/action@')) as Json
    expect(at(action, 'with', 'version')).toBe('pnpm changeset version')
    expect(at(action, 'with', 'publish')).toBe('pnpm changeset publish')
    expect(at(action, 'env', 'NPM_TOKEN')).toBe('$' + '{{ secrets.NPM_TOKEN }}')
    expect(at(release, 'on', 'push', 'branches')).toEqual(['main'])
    expect(at(release, 'permissions')).toMatchObject({ contents: 'write', 'pull-requests': 'write' })
    expect(runs(job)).toEqual(expect.arrayContaining(['pnpm install --frozen-lockfile', 'pnpm build']))
    const config = JSON.parse(read('.changeset/config.json'))
    expect(config.fixed).toEqual([['@noa/*']])
    expect(config.access).toBe('public')
    expect(rootScripts.changeset).toBe('changeset')
  })
})
