import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

// Shared by the deploy tests: paths, YAML loading and the agent's contract (API.md, source).

export const agentDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const repoRoot = resolve(agentDir, '..', '..')
export const read = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8')
export const exists = (rel: string): boolean => existsSync(join(repoRoot, rel))

export type Json = Record<string, unknown>

/** Parses every document of a YAML file; throws on any error or warning, naming the file. */
export function yamlDocs(rel: string): Json[] {
  const docs = parseAllDocuments(read(rel))
  const problems = docs.flatMap((d) => [...d.errors, ...d.warnings]).map((e) => e.message)
  if (problems.length > 0) throw new Error(`${rel}: ${problems.join('; ')}`)
  return docs.map((d) => d.toJS() as Json).filter((d) => d !== null)
}

export const yamlDoc = (rel: string): Json => {
  const [doc, ...rest] = yamlDocs(rel)
  if (!doc || rest.length > 0) throw new Error(`${rel}: expected exactly one document`)
  return doc
}

/** Reads a nested value without caring whether the path exists. */
export const at = (o: unknown, ...path: Array<string | number>): unknown =>
  path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Json)[k] : undefined), o)

/** Every .ts file under the agent's src/, concatenated: to find the names the agent really uses. */
export function agentSource(): string {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(readFileSync(p, 'utf8'))
    }
  }
  walk(join(agentDir, 'src'))
  return out.join('\n')
}

/** The environment variables API.md says the agent reads. */
export function apiEnvVars(): string[] {
  const api = read('apps/agent/API.md')
  const para = api.slice(api.indexOf('Environment variables read by the agent'))
  return [
    ...para.slice(0, para.indexOf('\n\n') === -1 ? undefined : para.indexOf('\n\n')).matchAll(/`([A-Z_]+)`/g),
  ].map((m) => m[1] as string)
}

/** The agent's port as API.md states it (`127.0.0.1:9300`). */
export function apiPort(): number {
  const m = /127\.0\.0\.1:(\d+)/.exec(read('apps/agent/API.md'))
  if (!m) throw new Error('API.md names no default port')
  return Number(m[1])
}
