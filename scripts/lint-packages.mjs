#!/usr/bin/env node
// Checks every publishable package as it would be packed: `publint` (package.json, exports map,
// files) and `@arethetypeswrong/cli` (the types resolve for every import of the exports map).
// Run after `pnpm build`. The packages are ESM only, so attw uses its `esm-only` profile.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const publishable = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .filter((dir) => {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true
    } catch {
      return false
    }
  })

let failed = 0
for (const dir of publishable) {
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name
  const checks = [
    [bin('publint'), ['run', dir, '--strict', '--pack', 'npm']],
    [bin('attw'), ['--pack', dir, '--profile', 'esm-only', '--format', 'ascii']],
  ]
  const hasExports = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports !== undefined
  const failedBefore = failed
  for (const [command, args] of hasExports ? checks : checks.slice(0, 1)) {
    const run = spawnSync(command, args, { cwd: root, encoding: 'utf8' })
    if (run.status !== 0) {
      failed++
      console.error(`${name}: ${command.split('/').pop()} failed\n${run.stdout}${run.stderr}`)
    }
  }
  console.log(`${name}: publint and attw ${failed === failedBefore ? 'ok' : 'FAILED (see above)'}`)
}
process.exit(failed === 0 ? 0 : 1)
