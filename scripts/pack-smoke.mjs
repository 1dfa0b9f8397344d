#!/usr/bin/env node
// Packs every package under packages/ as a release would (`pnpm pack`, prepack build included),
// checks the tarballs (manifest, files, publint, arethetypeswrong), installs them with npm into
// fresh ESM, CommonJS and TypeScript (nodenext, bundler) projects, runs a smoke script in each,
// and checks a registry with every collector registered with `promtool check metrics`.
//
//   pnpm pack:check            (or: node scripts/pack-smoke.mjs [--no-build] [--keep])
//
// Exits 1 at the first failure, naming the package and the step.
import { spawn, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const fixtures = join(root, 'scripts', 'pack-smoke')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const args = new Set(process.argv.slice(2))
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }
const work = mkdtempSync(join(tmpdir(), 'noa-pack-smoke-'))
const started = performance.now()

function step(title) {
  console.log(`\n--> ${title} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
}

function fail(message) {
  console.error(`pack-smoke: ${message}`)
  if (!args.has('--keep')) rmSync(work, { recursive: true, force: true })
  else console.error(`kept ${work}`)
  process.exit(1)
}

/** Runs a command (argv, no shell); its output is shown only when it fails. */
function sh(command, argv, options = {}) {
  const result = spawnSync(command, argv, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, ...options })
  if (result.status !== 0)
    fail(
      `${command} ${argv.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}${result.stderr}`,
    )
  return result.stdout
}

/** Runs each job through `task`, at most `limit` at a time (the machine has 2 cores). */
async function inParallel(jobs, limit, task) {
  const queue = [...jobs]
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) await task(job)
    }),
  )
}

/** Runs a command (argv, no shell) without blocking; resolves with its exit status and output. */
function execFileAsync(command, argv) {
  return new Promise((done) => {
    const child = spawn(command, argv, { env })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (status) => done({ status, out }))
  })
}

// Every export target the manifest names, as specifier -> files.
function exportTargets(manifest) {
  const targets = new Map()
  const walk = (subpath, value) => {
    if (typeof value === 'string') targets.set(subpath, [...(targets.get(subpath) ?? []), value])
    else for (const [key, inner] of Object.entries(value)) walk(key.startsWith('.') ? key : subpath, inner)
  }
  walk('.', manifest.exports)
  return targets
}

/**
 * The TypeScript blocks of a README, each as a module of its own. The names a block takes from
 * the text around it (a `registry` made earlier, a `res` of a request) are declared in an HTML
 * comment just above it, invisible on the rendered page:
 * <!-- ts-context: declare const registry: import('@noa/metrics').Registry -->
 */
function readmeBlocks(readme, name) {
  const lines = readFileSync(readme, 'utf8').split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue
    let context = ''
    const before = lines
      .slice(0, i)
      .reverse()
      .find((line) => line.trim() !== '')
    const match = /^<!-- ts-context: (.*) -->$/.exec(before?.trim() ?? '')
    if (match) context = match[1].replaceAll('; ', '\n')
    const end = lines.indexOf('```', i + 1)
    const preamble = `${context}\nexport {}\n`
    blocks.push({
      readme: readme.slice(root.length + 1),
      file: `${name.replace(/\W+/g, '-').replace(/^-/, '')}-${blocks.length + 1}.ts`,
      firstLine: i + 2,
      preambleLines: preamble.split('\n').length - 1,
      source: `${preamble}${lines.slice(i + 1, end).join('\n')}\n`,
    })
    i = end
  }
  return blocks
}

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true)

if (!args.has('--no-build')) {
  step('build')
  sh('pnpm', ['turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only'], { cwd: root })
}

step(`pack ${packages.length} packages`)
const tarballs = join(work, 'tarballs')
mkdirSync(tarballs)
for (const pkg of packages) {
  const before = new Set(readdirSync(tarballs))
  sh('pnpm', ['pack', '--pack-destination', tarballs], { cwd: pkg.dir })
  const made = readdirSync(tarballs).filter((file) => !before.has(file))
  if (made.length !== 1) fail(`${pkg.manifest.name}: pnpm pack made ${made.length} tarballs`)
  pkg.tarball = join(tarballs, made[0])
}

step('inspect the tarballs')
const entries = []
for (const pkg of packages) {
  const name = pkg.manifest.name
  const files = new Set(sh('tar', ['-tzf', pkg.tarball]).split('\n').filter(Boolean))
  const text = sh('tar', ['-xzOf', pkg.tarball, 'package/package.json'])
  const packed = JSON.parse(text)
  if (JSON.stringify(packed.exports).includes('@noa/source'))
    fail(`${name}: the published exports name the private @noa/source condition`)
  if (text.includes('workspace:')) fail(`${name}: the published manifest has a workspace: range`)
  for (const field of ['repository', 'homepage', 'bugs', 'license'])
    if (packed[field] === undefined) fail(`${name}: no "${field}" in the manifest`)
  for (const file of ['package/LICENSE', 'package/README.md'])
    if (!files.has(file)) fail(`${name}: ${file.slice('package/'.length)} is not in the tarball`)
  // The published exports are the repository's without the source condition, so they cannot drift.
  const strip = (value) =>
    typeof value === 'string'
      ? value
      : Object.fromEntries(
          Object.entries(value)
            .filter(([k]) => k !== '@noa/source')
            .map(([k, v]) => [k, strip(v)]),
        )
  if (JSON.stringify(packed.exports) !== JSON.stringify(strip(pkg.manifest.exports)))
    fail(`${name}: publishConfig.exports is not the exports map without @noa/source`)
  for (const [subpath, targets] of exportTargets(packed)) {
    for (const target of targets)
      if (!files.has(`package/${target.replace(/^\.\//, '')}`))
        fail(`${name}: export ${subpath} -> ${target} is not in the tarball`)
    if (subpath !== './package.json') entries.push(subpath === '.' ? name : `${name}/${subpath.slice(2)}`)
  }
}
console.log(`${entries.length} entry points: ${entries.join(', ')}`)

step('publint and arethetypeswrong')
const lintFailures = []
await inParallel(packages, 2, async (pkg) => {
  for (const [tool, argv] of [
    [bin('publint'), ['--strict', pkg.tarball]],
    // node10 resolution is ignored: the packages need Node >= 20, which reads `exports`.
    [bin('attw'), ['--profile', 'node16', '--format', 'table-flipped', pkg.tarball]],
  ]) {
    const { status, out } = await execFileAsync(tool, argv)
    if (status !== 0)
      lintFailures.push(`${pkg.manifest.name}: ${tool.split('/').pop()} exited ${status}\n${out}`)
  }
})
if (lintFailures.length > 0) fail(lintFailures.join('\n'))

step('npm install the tarballs into a fresh consumer')
const consumer = join(work, 'consumer')
mkdirSync(consumer)
const storeRequire = createRequire(join(root, 'packages', 'store', 'package.json'))
const sqliteDir = dirname(storeRequire.resolve('better-sqlite3/package.json'))
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version
const dependencies = Object.fromEntries(packages.map((pkg) => [pkg.manifest.name, `file:${pkg.tarball}`]))
writeFileSync(
  join(consumer, 'package.json'),
  JSON.stringify({
    name: 'noa-pack-smoke-consumer',
    private: true,
    dependencies: {
      ...dependencies,
      'better-sqlite3': sqliteVersion,
      '@types/node': '^20.19.0',
      hono: '^4.6.0',
      // The optional peer of @noa/metrics/opentelemetry, as a user of that entry installs it.
      '@opentelemetry/api': '^1.9.0',
      vitest: '^4.1.0',
    },
  }),
)
// --ignore-scripts: better-sqlite3 would compile for about 70 s here (its prebuilt binaries are
// downloaded from a host this machine cannot reach); the workspace's addon of the same version
// is copied in instead. Nothing else in the tree needs an install script.
sh('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: consumer })
const addon = join('build', 'Release', 'better_sqlite3.node')
mkdirSync(join(consumer, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true })
copyFileSync(join(sqliteDir, addon), join(consumer, 'node_modules', 'better-sqlite3', addon))
// Every @noa package must be the tarball's, installed once (not a registry copy, not nested).
const copies = sh('find', [
  join(consumer, 'node_modules'),
  '-path',
  '*/@noa/*/package.json',
  '-not',
  '-path',
  '*/@noa/*/*/*',
])
  .split('\n')
  .filter(Boolean)
if (copies.length !== packages.length)
  fail(`expected ${packages.length} @noa packages installed once, found:\n${copies.join('\n')}`)

step('smoke: ESM, CommonJS, TypeScript (nodenext, bundler)')
const out = join(work, 'expositions')
mkdirSync(out)
copyFileSync(join(fixtures, 'checks.mjs'), join(consumer, 'checks.mjs'))
const project = (dir, manifest, files) => {
  mkdirSync(join(consumer, dir))
  writeFileSync(
    join(consumer, dir, 'package.json'),
    JSON.stringify({ name: `smoke-${dir}`, private: true, ...manifest }),
  )
  for (const [name, content] of Object.entries(files)) writeFileSync(join(consumer, dir, name), content)
}
project('esm', { type: 'module' }, { 'esm.mjs': readFileSync(join(fixtures, 'esm.mjs'), 'utf8') })
project('cjs', { type: 'commonjs' }, { 'cjs.cjs': readFileSync(join(fixtures, 'cjs.cjs'), 'utf8') })
const usage = readFileSync(join(fixtures, 'usage.ts'), 'utf8')
// Every entry point imported with its types, so a declaration that does not resolve fails tsc.
const entryImports = `${entries.map((e, i) => `import * as entry${i} from '${e}'`).join('\n')}\nexport const all = [${entries.map((_, i) => `entry${i}`).join(', ')}]\n`
const strict = { strict: true, skipLibCheck: false, target: 'es2022', types: ['node'], lib: ['es2023'] }
project(
  'ts-nodenext',
  { type: 'module' },
  {
    'usage.ts': usage,
    'entries.ts': entryImports,
    'tsconfig.json': JSON.stringify({
      compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'dist' },
    }),
  },
)
project(
  'ts-bundler',
  { type: 'module' },
  {
    'usage.ts': usage,
    'entries.ts': entryImports,
    'tsconfig.json': JSON.stringify({
      compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', noEmit: true },
    }),
  },
)
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
console.log(
  sh('node', [join(consumer, 'esm', 'esm.mjs'), out, ...entries], { cwd: join(consumer, 'esm') }).trim(),
)
console.log(
  sh('node', [join(consumer, 'cjs', 'cjs.cjs'), out, ...entries], { cwd: join(consumer, 'cjs') }).trim(),
)
const typechecks = await Promise.all(
  ['ts-nodenext', 'ts-bundler'].map(async (dir) => ({
    dir,
    ...(await execFileAsync('node', [tsc, '-p', join(consumer, dir)])),
  })),
)
for (const { dir, status, out } of typechecks)
  if (status !== 0) fail(`tsc -p ${dir} exited ${status}\n${out}`)
console.log(
  sh('node', [join(consumer, 'ts-nodenext', 'dist', 'usage.js')], {
    cwd: join(consumer, 'ts-nodenext'),
  }).trim(),
)
console.log('typescript bundler: ok')

step("typecheck the packages' README examples against the installed packages")
const readmeDir = join(consumer, 'readme')
mkdirSync(readmeDir)
const blocks = packages.flatMap((pkg) => readmeBlocks(join(pkg.dir, 'README.md'), pkg.manifest.name))
for (const block of blocks) writeFileSync(join(readmeDir, block.file), block.source)
writeFileSync(
  join(readmeDir, 'package.json'),
  JSON.stringify({ name: 'smoke-readme', private: true, type: 'module' }),
)
writeFileSync(
  join(readmeDir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      ...strict,
      skipLibCheck: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      noEmit: true,
    },
  }),
)
const readmeCheck = await execFileAsync('node', [tsc, '-p', readmeDir, '--pretty', 'false'])
if (readmeCheck.status !== 0) {
  // Point each error at the README line it comes from.
  const byFile = new Map(blocks.map((b) => [b.file, b]))
  const located = readmeCheck.out.replace(/^(\S+?\.ts)\((\d+),(\d+)\)/gm, (all, file, line) => {
    const block = byFile.get(file.split('/').pop())
    return block ? `${block.readme}:${block.firstLine + Number(line) - 1 - block.preambleLines}` : all
  })
  fail(`README examples do not compile:\n${located}`)
}
console.log(`${blocks.length} README examples: ok`)

step('promtool check metrics over every collector')
if (spawnSync('promtool', ['--version']).status !== 0) {
  if (process.env.CI) fail('promtool is not installed (apt-get install prometheus)')
  console.warn('promtool is not installed: the exposition check is SKIPPED (apt-get install prometheus)')
} else {
  for (const file of readdirSync(out)) {
    const result = spawnSync('promtool', ['check', 'metrics'], {
      input: readFileSync(join(out, file)),
      encoding: 'utf8',
    })
    if (result.status !== 0)
      fail(`promtool check metrics ${file} exited ${result.status}:\n${result.stdout}${result.stderr}`)
    console.log(`${file}: ok`)
  }
}

if (args.has('--keep')) console.log(`\nkept ${work}`)
else rmSync(work, { recursive: true, force: true })
console.log(
  `\npack-smoke: ${packages.length} packages, ${entries.length} entry points ok in ${((performance.now() - started) / 1000).toFixed(0)} s`,
)
