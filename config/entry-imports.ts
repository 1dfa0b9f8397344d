import { createRequire } from 'node:module'
import { join } from 'node:path'

/** The part of esbuild's API used here (its types are not reachable from this folder). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    metafile: {
      inputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>
    }
  }>
}

/**
 * The third-party packages an entry point loads when it is imported: its static `import`
 * graph, walked through noa's own sources (`@noa/*` through the `@noa/source` condition, as
 * they are published together) and stopped at every other package. A package reached only
 * through `import()` is listed in `dynamic`: it costs nothing until that code runs.
 *
 * Tests use it to keep heavy dependencies (zod, systeminformation) out of main entries.
 * esbuild is reached through tsup, which every package builds with.
 */
export async function entryImports(
  packageDir: string,
  entry: string,
): Promise<{ static: string[]; dynamic: string[] }> {
  const fromTsup = createRequire(createRequire(join(packageDir, 'package.json')).resolve('tsup'))
  const esbuild = (await import(fromTsup.resolve('esbuild'))) as Esbuild
  const result = await esbuild.build({
    entryPoints: [join(packageDir, entry)],
    absWorkingDir: packageDir,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outdir: join(packageDir, '.entry-imports'),
    conditions: ['@noa/source'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'third-party-external',
        setup(build: {
          onResolve(options: { filter: RegExp }, fn: (args: { path: string }) => unknown): void
        }) {
          build.onResolve({ filter: /^[^./]/ }, (args: { path: string }) =>
            args.path.startsWith('@noa/') || args.path.startsWith('node:')
              ? undefined
              : { path: args.path, external: true },
          )
        },
      },
    ],
  })
  const inputs = result.metafile.inputs
  const root = Object.keys(inputs).find((path) => join(packageDir, path) === join(packageDir, entry))
  if (root === undefined) throw new Error(`entry ${entry} not in the bundle`)
  const statics = new Set<string>()
  const dynamics = new Set<string>()
  const seen = new Set<string>()
  const walk = (path: string) => {
    if (seen.has(path)) return
    seen.add(path)
    for (const edge of inputs[path]?.imports ?? []) {
      const isStatic = edge.kind === 'import-statement' || edge.kind === 'require-call'
      if (edge.external) {
        if (edge.path.startsWith('node:')) continue
        const name = edge.path.startsWith('@')
          ? edge.path.split('/').slice(0, 2).join('/')
          : edge.path.split('/')[0]!
        ;(isStatic ? statics : dynamics).add(name)
      } else if (isStatic) walk(edge.path)
    }
  }
  walk(root)
  // A package imported statically somewhere is loaded up front, whatever else imports it lazily.
  for (const name of statics) dynamics.delete(name)
  return { static: [...statics].sort(), dynamic: [...dynamics].sort() }
}
