#!/usr/bin/env node
// `pnpm tinydb <args>` from the repository root: builds the workspace first if the CLI has not been
// built yet (build output goes to stderr, so stdout carries only the command's own output), then runs it.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const cli = join(root, 'apps', 'cli', 'dist', 'main.js')
if (!existsSync(cli)) {
  const build = spawnSync(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
  })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const run = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(run.status ?? 1)
