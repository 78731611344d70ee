import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'

/**
 * The path of a built program of this package (`dist/…`, which turbo builds before testing): the
 * commands' tests run them as a user does, as processes, to prove their plumbing, never a timing.
 */
export function builtProgram(path: string): string {
  return fileURLToPath(new URL(`../../dist/${path}`, import.meta.url))
}

/**
 * A temporary directory for a test file, made before its tests and removed with everything in it
 * after them; the returned function gives its path once the tests run.
 */
export function suiteDirectory(prefix: string): () => string {
  let dir: string | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix))
  })
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })
  return () => {
    if (dir === undefined) throw new Error('suiteDirectory: read before its tests ran')
    return dir
  }
}

/** Runs `program` with node and `args` in `cwd`: its exit status and everything it printed. */
export function runProgram(program: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string; output: string } {
  const child = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8', cwd })
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, output: `${child.stdout}${child.stderr}` }
}
