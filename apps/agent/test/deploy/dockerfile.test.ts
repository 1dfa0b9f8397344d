import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Script } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { COMPONENTS } from '../../src/agent.ts'
import { lintDockerfile, parseDockerfile, stages } from './dockerfile-lint.ts'
import { apiPort, at, type Json, read, yamlDocs } from './repo.ts'

const DOCKERFILE = 'apps/agent/Dockerfile'
const text = read(DOCKERFILE)
const instructions = parseDockerfile(text)
const final = stages(instructions).at(-1)!
const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1)?.args ?? ''
const json = (args: string) => JSON.parse(args) as string[]

describe('lintDockerfile', () => {
  const good = [
    'FROM node:20.20.2-bookworm-slim AS build',
    'WORKDIR /src',
    'RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*',
    'FROM node:20.20.2-bookworm-slim',
    'WORKDIR /app',
    'COPY --from=build /out /app',
    'USER 1000:1000',
    'HEALTHCHECK CMD ["node", "-e", "0"]',
    'ENTRYPOINT ["node", "bin/noa.mjs"]',
    'CMD ["start", "all"]',
  ]
  const lint = (lines: string[]) => lintDockerfile(lines.join('\n')).map((p) => p.split(' ')[2])

  it('should pass a clean Dockerfile', () => {
    expect(lintDockerfile(good.join('\n'))).toEqual([])
  })

  it.each([
    ['DL3006', 0, 'FROM node AS build'],
    ['DL3007', 3, 'FROM node:latest'],
    ['NOA001', 3, 'FROM node:lts-slim'],
    ['DL3000', 4, 'WORKDIR app'],
    ['DL3020', 5, 'ADD . /app'],
    ['DL3022', 5, 'COPY --from=builder /out /app'],
    ['DL3002', 6, 'USER root'],
    ['DL3025', 8, 'ENTRYPOINT node bin/noa.mjs'],
    ['DL3025', 9, 'CMD start all'],
    ['DL3009', 2, 'RUN apt-get update && apt-get install -y --no-install-recommends g++'],
    ['DL3015', 2, 'RUN apt-get install -y g++ && rm -rf /var/lib/apt/lists/*'],
    ['DL3014', 2, 'RUN apt-get install --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*'],
    ['DL3004', 2, 'RUN sudo make'],
    ['DL3003', 2, 'RUN cd /tmp && make'],
    ['DL4006', 2, 'RUN curl -s https://example.com | sh'],
  ])('should report %s', (code, index, line) => {
    const lines = [...good]
    lines[index] = line
    expect(lint(lines)).toContain(code)
  })

  it('should require a non-root USER, a HEALTHCHECK and a command in the final stage', () => {
    expect(lint(good.filter((l) => !l.startsWith('USER')))).toContain('DL3002')
    expect(lint(good.filter((l) => !l.startsWith('HEALTHCHECK')))).toContain('NOA002')
    expect(lint(good.filter((l) => !/^(CMD|ENTRYPOINT)/.test(l)))).toContain('NOA003')
    expect(lint([...good, 'CMD ["x"]'])).toContain('DL4003')
  })

  it('should join continuation lines and skip comments', () => {
    const parsed = parseDockerfile('# c\nRUN a \\\n  # inside\n  && b\nUSER 1')
    expect(parsed).toEqual([
      { line: 2, keyword: 'RUN', args: 'a && b' },
      { line: 5, keyword: 'USER', args: '1' },
    ])
  })
})

describe('apps/agent/Dockerfile', () => {
  it('should pass the lint', () => {
    expect(lintDockerfile(text)).toEqual([])
  })

  it('should build in one stage and run from a pinned Node 20 slim image', () => {
    const list = stages(instructions)
    expect(list.map((s) => s.image)).toEqual([list[0]?.image, list[0]?.image])
    const m = /^node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/.exec(final.image)
    expect(m).not.toBeNull()
    const engines = JSON.parse(read('package.json')).engines.node as string
    const [, major, minor] = /(\d+)\.(\d+)/.exec(engines) ?? []
    expect(Number(m?.[1])).toBe(Number(major))
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(Number(minor))
    expect(text).toContain('corepack enable')
    expect(text).toContain('pnpm install --frozen-lockfile')
    expect(text).toMatch(/pnpm --filter @noa\/agent deploy --prod/)
  })

  it("should start the agent's bin with a component the agent knows", () => {
    const pkg = JSON.parse(read('apps/agent/package.json')) as { bin: Record<string, string> }
    expect(json(last('ENTRYPOINT'))).toEqual(['node', pkg.bin.noa?.replace(/^\.\//, '')])
    const cmd = json(last('CMD'))
    expect(cmd[0]).toBe('start')
    expect(['all', ...COMPONENTS]).toContain(cmd[1])
    expect(last('EXPOSE')).toBe(String(apiPort()))
    expect(text).toContain(`NOA_PORT=${apiPort()}`)
  })

  it('should run as the same non-root user and folders as the Kubernetes pods', () => {
    const [uid, gid] = last('USER').split(':').map(Number)
    expect(uid).toBeGreaterThan(0)
    const workdir = last('WORKDIR')
    const deployments = yamlDocs('k8s/deployments/monitoring-stack.yaml').filter(
      (d) => d.kind === 'Deployment',
    )
    for (const d of deployments) {
      const pod = at(d, 'spec', 'template', 'spec') as Json
      expect(at(pod, 'securityContext', 'runAsUser')).toBe(uid)
      expect(at(pod, 'securityContext', 'runAsGroup')).toBe(gid)
      const mounts = (at(pod, 'containers', 0, 'volumeMounts') as Json[]).map((m) => m.mountPath)
      for (const dir of ['data', 'logs', 'run']) expect(mounts).toContain(`${workdir}/${dir}`)
    }
    // The image creates those folders for the user, so it also runs without mounted volumes.
    expect(text).toMatch(/mkdir -p \/app\/data \/app\/logs \/app\/run/)
    expect(text).toContain(`chown ${uid}:${gid} /app/data /app/logs /app/run`)
  })

  it('should keep large and private folders out of the build context', () => {
    const ignore = read('.dockerignore').split('\n')
    for (const entry of ['**/node_modules', '**/dist', '.git', '.env', 'data', 'logs', 'run'])
      expect(ignore).toContain(entry)
  })
})

describe('HEALTHCHECK of the agent image', () => {
  const health = json(last('HEALTHCHECK').replace(/^(--\S+\s+)*CMD\s+/, ''))
  let server: Server | undefined
  const stop = async () => {
    const s = server
    server = undefined
    if (!s) return
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
  afterEach(stop)

  const runAgainst = async (status: number) => {
    const seen: string[] = []
    server = createServer((req, res) => {
      seen.push(String(req.url))
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const code = await new Promise<number>((resolve) => {
      const [cmd, ...args] = health
      execFile(
        cmd as string,
        args,
        { env: { ...process.env, NOA_PORT: String(port) }, timeout: 15_000 },
        (e) => resolve(e ? Number((e as { code?: number }).code ?? 1) : 0),
      )
    })
    return { code, seen }
  }

  it('should be a node script that needs no curl', () => {
    expect(health[0]).toBe('node')
    expect(health[1]).toBe('-e')
    expect(() => new Script(health[2] as string)).not.toThrow()
    expect(last('HEALTHCHECK')).toMatch(/--interval=30s --timeout=5s --start-period=30s --retries=3/)
  })

  it('should be healthy when the agent answers /api/health, even for an unhealthy fleet', async () => {
    expect(await runAgainst(200)).toEqual({ code: 0, seen: ['/api/health'] })
    expect((await runAgainst(503)).code).toBe(0)
  })

  it('should be unhealthy when the agent fails or does not answer', async () => {
    expect((await runAgainst(500)).code).toBe(1)
    // A port nobody listens on any more: the agent is gone.
    const port = ((server as unknown as Server).address() as AddressInfo).port
    await stop()
    const code = await new Promise<number>((resolve) => {
      const [cmd, ...args] = health
      execFile(
        cmd as string,
        args,
        { env: { ...process.env, NOA_PORT: String(port) }, timeout: 15_000 },
        (e) => resolve(e ? Number((e as { code?: number }).code ?? 1) : 0),
      )
    })
    expect(code).toBe(1)
  })
})
