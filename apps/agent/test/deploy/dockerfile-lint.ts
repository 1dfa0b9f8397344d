// A small hadolint-style linter: the rules of hadolint's that matter for noa's image, so the
// Dockerfile is checked here without a Docker engine or the hadolint binary.

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  line: number
  keyword: string
  args: string
}

export interface Stage {
  from: Instruction
  image: string
  alias?: string
  instructions: Instruction[]
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const start = i
    let line = lines[i] as string
    if (/^\s*(#|$)/.test(line)) continue
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++
      const next = lines[i] as string
      if (/^\s*#/.test(next)) continue
      line = `${line.replace(/\\\s*$/, '').trimEnd()} ${next.trim()}`
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line)
    if (m)
      out.push({ line: start + 1, keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() })
  }
  return out
}

export function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = []
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, alias] = ins.args.replace(/--platform=\S+\s+/, '').split(/\s+/)
      out.push({
        from: ins,
        image: image as string,
        ...(as?.toUpperCase() === 'AS' && alias ? { alias } : {}),
        instructions: [],
      })
    } else out.at(-1)?.instructions.push(ins)
  }
  return out
}

const isExecForm = (args: string) => {
  try {
    const v: unknown = JSON.parse(args)
    return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')
  } catch {
    return false
  }
}

/** Problems as `line N: CODE message`; an empty list means the Dockerfile passes. */
export function lintDockerfile(text: string): string[] {
  const problems: string[] = []
  const say = (ins: Instruction | undefined, code: string, message: string) =>
    problems.push(`line ${ins?.line ?? 0}: ${code} ${message}`)
  const all = parseDockerfile(text)
  const list = stages(all)
  if (list.length === 0) return ['line 0: DL0000 no FROM instruction']
  const aliases = new Set<string>()
  for (const stage of list) {
    const [name, tag] = stage.image.split('@')[0]?.split(/:(?=[^/]+$)/) ?? []
    if (!aliases.has(stage.image)) {
      if (!stage.image.includes('@') && !tag)
        say(stage.from, 'DL3006', `always tag the image explicitly (${name})`)
      if (tag === 'latest') say(stage.from, 'DL3007', `do not use the latest tag (${stage.image})`)
      if (tag && !/\d/.test(tag))
        say(stage.from, 'NOA001', `pin a version, not a moving tag (${stage.image})`)
    }
    if (stage.alias) aliases.add(stage.alias)
    const count = (k: string) => stage.instructions.filter((i) => i.keyword === k)
    if (count('CMD').length > 1) say(count('CMD')[1], 'DL4003', 'multiple CMD instructions')
    if (count('ENTRYPOINT').length > 1)
      say(count('ENTRYPOINT')[1], 'DL4004', 'multiple ENTRYPOINT instructions')
    for (const ins of stage.instructions) {
      const { keyword, args } = ins
      if (keyword === 'WORKDIR' && !args.startsWith('/') && !args.startsWith('$'))
        say(ins, 'DL3000', `use an absolute WORKDIR (${args})`)
      if ((keyword === 'CMD' || keyword === 'ENTRYPOINT') && !isExecForm(args))
        say(ins, 'DL3025', `use the JSON (exec) form for ${keyword}`)
      if (keyword === 'ADD') {
        const sources = args
          .replace(/--\S+\s+/g, '')
          .split(/\s+/)
          .slice(0, -1)
        if (sources.some((s) => !/^(https?|git@)/.test(s)))
          say(ins, 'DL3020', 'use COPY instead of ADD for files')
      }
      if (keyword === 'COPY') {
        const from = /--from=(\S+)/.exec(args)?.[1]
        if (from && !aliases.has(from) && !/[:/]/.test(from) && !/^\d+$/.test(from))
          say(ins, 'DL3022', `COPY --from names an unknown stage (${from})`)
      }
      if (keyword === 'RUN') {
        if (/(^|[;&|]\s*)sudo\s/.test(args)) say(ins, 'DL3004', 'do not use sudo')
        if (/(^|&&|;)\s*cd\s/.test(args)) say(ins, 'DL3003', 'use WORKDIR to switch directory')
        if (/\bapt(-get)?\s+install\b/.test(args)) {
          if (!/\s-y\b|--yes|--assume-yes/.test(args))
            say(ins, 'DL3014', 'use the -y switch with apt-get install')
          if (!/--no-install-recommends/.test(args)) say(ins, 'DL3015', 'use --no-install-recommends')
          if (!/rm -rf \/var\/lib\/apt\/lists/.test(args))
            say(ins, 'DL3009', 'delete the apt lists after installing')
        }
        if (/\bapt\s/.test(args)) say(ins, 'DL3027', 'use apt-get, not apt')
        if (/\|/.test(args.replace(/\|\|/g, '')) && !/set -o pipefail|SHELL/.test(args))
          say(ins, 'DL4006', 'set -o pipefail before a pipe')
      }
    }
  }
  const final = list.at(-1) as Stage
  const users = final.instructions.filter((i) => i.keyword === 'USER')
  const lastUser = users.at(-1)?.args.split(':')[0]
  if (!lastUser) say(final.from, 'DL3002', 'the final stage runs as root: add a USER')
  else if (lastUser === 'root' || lastUser === '0')
    say(users.at(-1), 'DL3002', 'the last USER must not be root')
  const health = final.instructions.filter((i) => i.keyword === 'HEALTHCHECK')
  if (health.length === 0 || /^NONE$/i.test(health.at(-1)?.args ?? ''))
    say(final.from, 'NOA002', 'the final stage needs a HEALTHCHECK')
  if (!final.instructions.some((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT'))
    say(final.from, 'NOA003', 'the final stage needs a CMD or ENTRYPOINT')
  return problems
}
