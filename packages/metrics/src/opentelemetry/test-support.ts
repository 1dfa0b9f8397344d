import { parseExposition } from '../exposition/parse.ts'
import type { Registry } from '../registry.ts'

/** Both expositions of a registry, each checked by noa's own parser (strict OpenMetrics rules included). */
export async function expose(registry: Registry): Promise<{ prometheus: string; openmetrics: string }> {
  const prometheus = await registry.metrics('prometheus')
  const openmetrics = await registry.metrics('openmetrics')
  for (const [format, text] of [
    ['prometheus', prometheus],
    ['openmetrics', openmetrics],
  ] as const) {
    const parsed = parseExposition(text, { format })
    if (!parsed.ok)
      throw new Error(`${format} exposition does not parse: ${JSON.stringify(parsed.error)}\n${text}`)
  }
  return { prometheus, openmetrics }
}

/** The sample lines of `text` whose name starts with `prefix`. */
export function samples(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix))
}

export { recordingLogger } from '../testing/logger.ts'
