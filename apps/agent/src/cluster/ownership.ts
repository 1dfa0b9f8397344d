/**
 * Rendezvous (highest random weight) hashing: a service belongs to the live member with the
 * highest weight for the pair. Every agent computes the same answer from the same list of
 * members, with no coordination, and a member that joins or leaves moves only the services
 * it takes or had (about 1/n of them).
 */
export function ownerOf(service: string, members: readonly string[]): string | undefined {
  let best: string | undefined
  let bestWeight = -1
  for (const member of members) {
    const weight = weightOf(member, service)
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member
      bestWeight = weight
    }
  }
  return best
}

/** The services of `services` that `member` owns among `members`. */
export function shareOf(
  member: string,
  services: readonly string[],
  members: readonly string[],
): Set<string> {
  const mine = new Set<string>()
  for (const service of services) if (ownerOf(service, members) === member) mine.add(service)
  return mine
}

/** A 32-bit weight of the pair: FNV-1a over both names, then a mix so close names spread out. */
function weightOf(member: string, service: string): number {
  let h = 0x811c9dc5
  const add = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
  }
  add(member)
  h = Math.imul(h ^ 0xff, 0x01000193) // a separator, so ("ab", "c") and ("a", "bc") differ
  add(service)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
