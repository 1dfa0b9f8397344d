/** A service as far as its dependencies go. */
export interface Dependent {
  name: string
  dependsOn?: readonly string[] | undefined
}

/** Each service's direct dependents, from the services' `dependsOn`. */
export function directDependents(services: Iterable<Dependent>): Map<string, string[]> {
  const dependents = new Map<string, string[]>()
  for (const s of services)
    for (const dep of s.dependsOn ?? []) {
      const list = dependents.get(dep)
      if (list) list.push(s.name)
      else dependents.set(dep, [s.name])
    }
  return dependents
}

/**
 * Adds to `into` the services whose `blockedBy` may follow a change of `service`: its
 * dependents, and theirs. Returns how many it added.
 */
export function addDependents(
  dependents: ReadonlyMap<string, readonly string[]>,
  service: string,
  into: Set<string>,
): number {
  const seen = new Set([service])
  const queue = [service]
  let added = 0
  while (queue.length > 0)
    for (const d of dependents.get(queue.pop()!) ?? []) {
      if (seen.has(d)) continue
      seen.add(d)
      if (!into.has(d)) added++
      into.add(d)
      queue.push(d)
    }
  return added
}
