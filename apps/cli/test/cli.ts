import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '@tinydb/engine'

/** The tests run the built binary, exactly as a user would: build first (`pnpm -w run build`). */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))
const CRASH_WRITER = fileURLToPath(new URL('../dist/crash-writer.js', import.meta.url))

if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the CLI first (pnpm -w run build)`)

export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly cwd?: string
  /** Extra environment; TINYDB_DIR is removed unless given here. */
  readonly env?: Record<string, string>
}

export function tinydb(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { TINYDB_DIR: _ignored, ...inherited } = process.env
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: options.cwd, env: { ...inherited, ...options.env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(error)
        else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr })
      },
    )
  })
}

/** `tinydb --dir <dir> ...args`. */
export function tinydbIn(dir: string, ...args: string[]): Promise<RunResult> {
  return tinydb(['--dir', dir, ...args])
}

export function lines(output: string): string[] {
  return output.split('\n').filter((line) => line !== '')
}

export async function withTempDir(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tinydb-cli-test-'))
  try {
    await use(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Writes `entries` with the engine in this process and closes the store (which checkpoints): test
 * setup without paying a process start per key. What is under test is still run through the binary.
 */
export async function seed(dir: string, entries: Iterable<readonly [key: string, value: string]>): Promise<void> {
  const db = await open(dir)
  try {
    for (const [key, value] of entries) await db.put(key, value)
  } finally {
    await db.close()
  }
}

/**
 * Starts the run_tests writer on `dir`; resolves once its `count` puts are acknowledged. The store
 * stays open (and locked) until the returned process is killed.
 */
export function startWriter(dir: string, count: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CRASH_WRITER, dir, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      if (stdout.includes('acknowledged')) resolve(child)
    })
    child.on('exit', (code, signal) => reject(new Error(`writer exited early (code ${code}, signal ${signal})`)))
  })
}

export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit')
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.on('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

/** `tinydb --dir <dir> ...args` with `input` written to its stdin; stdout kept as bytes. */
export function tinydbWithInput(
  dir: string,
  args: readonly string[],
  input: string | Uint8Array,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const { TINYDB_DIR: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, [MAIN, '--dir', dir, ...args], { env: { ...inherited, ...env }, stdio: 'pipe' })
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdin.end(input)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(stdout), stderr }))
  })
}
