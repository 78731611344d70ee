#!/usr/bin/env node
// `pnpm demo`: the main job of TinyDB, end to end, through the built CLI. It stores a key, reads it
// back, and times 2000 durable puts against this disk's fdatasync floor, on the default data
// directory (./tinydb-data, or $TINYDB_DIR). Each command is printed before its output.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../apps/cli/dist/main.js', import.meta.url))
if (!existsSync(cli)) {
  console.error(`${cli} is missing: run \`pnpm build\` (or \`pnpm demo\`, which builds first)`)
  process.exit(1)
}

const commands = [
  ['set', 'hello', 'world'],
  ['get', 'hello'],
  ['bench', '2000', 'benchkey', '128'],
]

for (const args of commands) {
  console.log(`$ tinydb ${args.join(' ')}`)
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' })
  if (result.error !== undefined) throw result.error
  if (result.status !== 0) {
    console.error(`tinydb ${args[0]} failed (exit code ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
  console.log()
}
