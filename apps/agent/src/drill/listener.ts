import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** The inodes of the TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is the tenth field
      const local = fields[1]
      if (!local || fields[3] !== '0A') continue
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(fields[9]!)
    }
  }
  return inodes
}

/**
 * The process of this machine that listens on TCP `port` (Linux: /proc/net and each
 * process's open sockets), or why none is found. Only this user's processes can be seen.
 */
export function listeningProcess(port: number): number | string {
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return `no process listens on port ${port}`
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${entry}/fd`)
    } catch {
      continue // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`)
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry)
      } catch {
        // closed meanwhile
      }
    }
  }
  return `the process listening on port ${port} is not one of this user's`
}
