#!/usr/bin/env node
import { main } from '../dist/cli.js'

// Exit explicitly: `noa start` resolves once the agent has shut down, and a stray socket of
// a dependency must not keep the process alive after that.
main(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  },
)
