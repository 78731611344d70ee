import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TinyLevel } from '../src/index.js'

/**
 * Permanence through Level code, with a real SIGKILL: a child process writes through the built
 * TinyLevel and reports each write whose promise resolved; the parent kills it after a seeded
 * number of acknowledgements, reopens the store and finds every acknowledged write, and nothing
 * that was never written. Needs `dist/` (the root test pipeline builds first; this test fails without it).
 */

const SEED = Number(process.env['TINYLEVEL_KILL_SEED'] ?? 7)
const ROUNDS = 3
const WRITES = 400
const writer = fileURLToPath(new URL('./fixtures/level-writer.mjs', import.meta.url))
const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))

/** Runs the writer until it has acknowledged `killAfter` writes, then SIGKILLs it; returns the last ack. */
function runAndKill(location: string, killAfter: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, location, String(WRITES)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let lastAck = -1
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let newline: number
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        const match = /^ack (\d+)$/.exec(line)
        if (match !== null) lastAck = Number(match[1])
        if (lastAck + 1 >= killAfter) child.kill('SIGKILL')
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(lastAck)
      else reject(new Error(`writer exited with ${code ?? signal}: ${stderr}`))
    })
  })
}

describe(`TinyLevel survives SIGKILL (seed ${SEED})`, () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tinylevel-kill-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it(`keeps every acknowledged write over ${ROUNDS} kills`, async () => {
    expect(built, 'dist/index.js is missing: build the package first (pnpm build)').toBe(true)
    for (let round = 0; round < ROUNDS; round++) {
      const location = join(root, `round-${round}`)
      const killAfter = 20 + ((SEED * 97 + round * 131) % 300)
      const lastAck = await runAndKill(location, killAfter)
      expect(lastAck).toBeGreaterThanOrEqual(killAfter - 1)

      const db = new TinyLevel(location)
      const items = db.sublevel<string, { n: number; pad: string }>('items', { valueEncoding: 'json' })
      const found = await items.values().all()
      // Every acknowledged write, in order; at most the one write in flight beyond it.
      expect(found.length).toBeGreaterThanOrEqual(lastAck + 1)
      expect(found.length).toBeLessThanOrEqual(lastAck + 2)
      found.forEach((item, n) => expect(item).toEqual({ n, pad: 'x'.repeat(n % 500) }))
      const last = await db.get('last')
      const lastBatch = [...found.keys()].filter((n) => n % 3 === 2).pop()
      expect(last).toBe(lastBatch === undefined ? undefined : String(lastBatch))
      await db.close()
    }
  })
})
