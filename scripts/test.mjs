#!/usr/bin/env node
// Builds every package, runs every package's tests (vitest, through turbo), then prints one closing
// line that counts all of them: `tests: N passed, N failed`. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const workspaces = ['packages', 'apps'].flatMap((group) => {
  const dir = join(root, group)
  return existsSync(dir) ? spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((name) => join(dir, name)) : []
})
// vitest's JSON report, and the tape compliance suite's counts where a package runs one.
const resultFiles = (workspace) => [join(workspace, '.vitest-results.json'), join(workspace, '.tape-results.json')]
for (const workspace of workspaces) for (const file of resultFiles(workspace)) rmSync(file, { force: true })

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' }
const turbo = (args) => spawnSync(join(root, 'node_modules', '.bin', 'turbo'), args, { cwd: root, stdio: 'inherit', env }).status ?? 1

let status = turbo(['run', 'build'])
// Tests and fixtures too are strict TypeScript: vitest strips types without checking them.
if (status === 0) status = turbo(['run', 'typecheck'])
// The packed packages must be publishable: exports, files and types (publint, attw).
if (status === 0) status = spawnSync(process.execPath, [join(root, 'scripts', 'lint-packages.mjs')], { cwd: root, stdio: 'inherit', env }).status ?? 1
if (status === 0) status = turbo(['run', 'test', '--concurrency=2', '--continue'])

let passed = 0
let failed = 0
for (const file of workspaces.flatMap(resultFiles)) {
  if (!existsSync(file)) continue
  const result = JSON.parse(readFileSync(file, 'utf8'))
  passed += result.numPassedTests ?? 0
  failed += (result.numFailedTests ?? 0) + (result.numFailedTestSuites ?? 0)
}
if (status !== 0 && failed === 0) failed = 1 // a build or runner failure counts, even with no test result
console.log(`tests: ${passed} passed, ${failed} failed`)
process.exit(status === 0 && failed === 0 ? 0 : 1)
