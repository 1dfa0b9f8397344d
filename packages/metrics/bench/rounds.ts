import { Bench } from 'tinybench'

/** One compared case: @noa/metrics against the peer. */
export interface Row {
  case: string
  noa: number
  peer: number
  unit: string
  /** true when a higher figure is better */
  higher: boolean
}

/** A case run by both sides: each function does `ops` operations. */
export interface Case {
  noa: () => unknown
  peer: () => unknown
  ops: number
}

const ROUNDS = 7

/**
 * Runs both sides in alternating short rounds and keeps each side's best round: on a machine shared
 * with other work, the best round is the one least disturbed, and alternating gives both sides the
 * same chances.
 */
export async function opsPerSecond(cases: Record<string, Case>): Promise<Row[]> {
  const rows: Row[] = []
  for (const [name, c] of Object.entries(cases)) {
    let noa = 0
    let peer = 0
    for (let round = 0; round < ROUNDS; round++) {
      const bench = new Bench({ time: 300, warmupTime: 100 })
      bench.add('noa', c.noa)
      bench.add('peer', c.peer)
      await bench.run()
      const [n, p] = bench.tasks.map((t) => {
        const result = t.result as { period?: number }
        return result.period ? (c.ops * 1000) / result.period : 0
      })
      noa = Math.max(noa, n ?? 0)
      peer = Math.max(peer, p ?? 0)
    }
    rows.push({ case: name, noa, peer, unit: 'ops/s', higher: true })
  }
  return rows
}

export function format(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1)
}

/** Prints the rows as a markdown table, with the ratio of each. */
export function printRows(rows: readonly Row[], peerName: string): void {
  console.log('')
  console.log(`| case | @noa/metrics | ${peerName} | ratio |`)
  console.log('|---|---:|---:|---:|')
  for (const row of rows) {
    const ratio = row.higher ? row.noa / row.peer : row.peer / row.noa
    const better = row.higher ? 'x faster' : 'x less memory'
    console.log(
      `| ${row.case} | ${format(row.noa)} ${row.unit} | ${format(row.peer)} ${row.unit} | ${ratio.toFixed(2)}${better} |`,
    )
  }
}
