import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Prng } from '@tinydb/vfs'
import { open, type BatchOperation, type Db, type OpenOptions } from '../src/index.js'

/**
 * Real processes, real SIGKILL (invariants 1, 3, 4 and 9 on a real file system). Each round spawns
 * `fixtures/kill-writer.mjs`, which runs several writers concurrently against the BUILT engine —
 * puts (some with overflow values), atomic batches and deletes, with background checkpoints from a
 * small checkpoint threshold — and prints an `ack` line after each acknowledged operation. The
 * parent kills it with SIGKILL at a seeded moment (after a seeded number of acks, or a seeded delay
 * after spawning, which can land during open and recovery), reopens the store and checks, writer
 * by writer, that its keys hold exactly the state after a prefix of its operations, and that the
 * prefix reaches at least its last acknowledged operation. A writer waits for each operation before
 * issuing the next, so the prefix can be at most one operation longer (the one in flight).
 *
 * Every round writes its own keys (`r<round>/w<writer>/k<n>`) into the same store, so each round
 * also recovers every earlier round's crash; some rounds are not verified before the next child
 * starts, so that child opens an unclean store and replays its log, and may be killed while it does.
 * The state found for a round is re-checked unchanged at every later verification.
 */

const SEED = Number(process.env['TINYDB_KILL_SEED'] ?? 20261126)
const ROUNDS = Number(process.env['TINYDB_KILL_ROUNDS'] ?? 24)
const WRITERS = 4
const OPERATIONS_PER_WRITER = 120
const KEYS_PER_WRITER = 10
const CHILD_TIMEOUT_MS = 30_000

const engineDir = fileURLToPath(new URL('..', import.meta.url))
const writerScript = fileURLToPath(new URL('./fixtures/kill-writer.mjs', import.meta.url))
const decoder = new TextDecoder()

// Small pages, log segments and checkpoint threshold: several checkpoints, segment drops and
// overflow chains per round, in a few hundred operations.
const OPTIONS = { pageSize: 1024, checkpointThreshold: 16 * 1024, walSegmentSize: 64 * 1024 } satisfies OpenOptions

type State = Map<string, string>
type Operation = { type: 'put'; key: string; value: string } | { type: 'del'; key: string } | { type: 'batch'; operations: BatchOperation[] }

interface Round {
  readonly index: number
  /** Per writer: its operations, and the state of its keys after each prefix (`states[k]` after k operations). */
  readonly writers: { readonly operations: Operation[]; readonly states: State[] }[]
  /** Per writer: operations acknowledged before the kill (ack lines read). */
  acknowledged: number[]
  /** Per writer, once verified: the recovered state, which no later recovery may change. */
  recovered: State[] | undefined
}

const namespace = (round: number, writer: number) => `r${String(round).padStart(2, '0')}/w${writer}/`

/** Values encode the operation index (and position in a batch), so a state names the prefix that made it. */
function valueFor(prng: Prng, index: number, position: number): string {
  const size = prng.int(10) === 0 ? 1200 + prng.int(3000) : prng.int(120)
  return `${index}.${position}|${'x'.repeat(size)}`
}

function planWriter(prng: Prng, round: number, writer: number): Round['writers'][number] {
  const key = () => `${namespace(round, writer)}k${prng.int(KEYS_PER_WRITER)}`
  const operations: Operation[] = []
  const states: State[] = [new Map()]
  for (let index = 0; index < OPERATIONS_PER_WRITER; index++) {
    const roll = prng.int(10)
    let operation: Operation
    if (roll < 5) operation = { type: 'put', key: key(), value: valueFor(prng, index, 0) }
    else if (roll < 7) operation = { type: 'del', key: key() }
    else {
      const batch: BatchOperation[] = Array.from({ length: 2 + prng.int(4) }, (_, position) =>
        prng.int(3) === 0 ? { type: 'del', key: key() } : { type: 'put', key: key(), value: valueFor(prng, index, position) },
      )
      operation = { type: 'batch', operations: batch }
    }
    operations.push(operation)
    const next = new Map(states[index])
    const items = operation.type === 'batch' ? operation.operations : [operation]
    for (const item of items) item.type === 'put' ? next.set(String(item.key), String(item.value)) : next.delete(String(item.key))
    states.push(next)
  }
  return { operations, states }
}

interface ChildResult {
  readonly acknowledged: number[]
  readonly checkpoints: number
  readonly opened: boolean
}

/**
 * Runs the writer until the kill trigger, kills it with SIGKILL, and resolves once its stdout is
 * fully read (on 'close', not 'exit': lines written before the kill may still be in the pipe).
 */
function runChild(dir: string, planPath: string, kill: { afterAcks: number } | { afterMs: number }): Promise<ChildResult> {
  // TINYDB_VERIFY=1: the writer also asserts copy-on-write at every checkpoint (invariant 6) and
  // re-verifies cached pages; a violation fails its writes, so it exits by itself and the round fails.
  const env = { ...process.env, TINYDB_VERIFY: '1' }
  const child = spawn(process.execPath, [writerScript, dir, planPath], { stdio: ['ignore', 'pipe', 'pipe'], env })
  const acknowledged = Array.from({ length: WRITERS }, () => 0)
  let totalAcks = 0
  let checkpoints = 0
  let opened = false
  let killed = false
  let pending = ''
  let stderr = ''
  const protocolErrors: string[] = []
  const killNow = () => {
    if (killed) return
    killed = true
    child.kill('SIGKILL')
  }
  const timer = 'afterMs' in kill ? setTimeout(killNow, kill.afterMs) : undefined
  // The writer either finishes (and says `done`) or is killed on time; running this long is a hang.
  const watchdog = setTimeout(() => {
    protocolErrors.push(`the writer neither finished nor was killed within ${CHILD_TIMEOUT_MS} ms (hung?)`)
    killNow()
  }, CHILD_TIMEOUT_MS)
  if ('afterAcks' in kill && kill.afterAcks === 0) killNow()
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const [word, a, b] = line.split(' ')
      if (word === 'open') opened = true
      else if (word === 'checkpoints') checkpoints = Number(a)
      else if (word === 'done') killNow()
      else if (word === 'ack') {
        const writer = Number(a)
        // Acks of one writer arrive in order: operation i is acked only after i - 1.
        if (Number(b) !== acknowledged[writer]) protocolErrors.push(`ack ${writer} ${b} after ${acknowledged[writer]} acks`)
        acknowledged[writer]!++
        totalAcks++
        if ('afterAcks' in kill && totalAcks >= kill.afterAcks) killNow()
      } else protocolErrors.push(`unexpected line from the writer: ${line}`)
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(watchdog)
      if (protocolErrors.length > 0) reject(new Error(`the writer's report is inconsistent: ${protocolErrors.join('; ')}`))
      else if (signal !== 'SIGKILL') reject(new Error(`the writer exited by itself (code ${code}, signal ${signal}): ${stderr.trim()}`))
      else resolve({ acknowledged, checkpoints, opened })
    })
  })
}

async function stateOf(db: Db, prefix: string): Promise<State> {
  const state: State = new Map()
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
  for await (const [key, value] of db.scan({ gte: prefix, lt: end })) state.set(decoder.decode(key), decoder.decode(value))
  return state
}

const sameState = (a: State, b: State) => a.size === b.size && [...a].every(([key, value]) => b.get(key) === value)

/** Reopens the store (recovering the last crash) and checks every round so far. */
async function verify(dir: string, rounds: Round[]): Promise<void> {
  const db = await open(dir, OPTIONS)
  try {
    let expectedKeys = 0
    for (const round of rounds) {
      const recovered: State[] = []
      for (const [writer, plan] of round.writers.entries()) {
        const state = await stateOf(db, namespace(round.index, writer))
        recovered.push(state)
        expectedKeys += state.size
        const context = `seed ${SEED}, round ${round.index}, writer ${writer}`
        if (round.recovered !== undefined) {
          // Verified before: recovering again (after more crashes) must not change it (invariant 8).
          expect(sameState(state, round.recovered[writer]!), `${context}: state changed after a later recovery`).toBe(true)
          continue
        }
        // Exactly a prefix (invariants 3 and 4): the state after k operations for some k, with k at
        // least the acknowledged count (invariant 1) and at most one more (the operation in flight).
        const acked = round.acknowledged[writer]!
        const prefixes = [acked, acked + 1].filter((k) => k < plan.states.length && sameState(state, plan.states[k]!))
        if (prefixes.length === 0) {
          const near = plan.states.findIndex((candidate) => sameState(state, candidate))
          console.log({ context, acked, matchesPrefix: near, recovered: [...state.keys()] })
        }
        expect(prefixes.length, `${context}: not the state after ${acked} or ${acked + 1} operations`).toBeGreaterThan(0)
      }
      round.recovered = recovered
    }
    // Nothing that was never written appears: no key outside the rounds' namespaces.
    let total = 0
    for await (const _ of db.scan()) total++
    expect(total, `seed ${SEED}: keys in the store beyond the writers' states`).toBe(expectedKeys)
    const report = await db.check()
    expect(report.problems, `seed ${SEED}: integrity check`).toEqual([])
  } finally {
    await db.close()
  }
}

/** The packages the writer process runs from their build output. */
const BUILT_PACKAGES = ['vfs', 'wal', 'pager', 'kv', 'recovery', 'engine']

/**
 * Fails clearly when a build the writer needs is missing. `pnpm test` builds every package first
 * (turbo: test depends on build); run alone, this test uses whatever `dist/` holds, so rebuild after
 * changing sources. (Not judged by mtimes: turbo's content-hashed cache can leave an up-to-date
 * build older than a touched source file.)
 */
function assertBuilt(): void {
  for (const name of BUILT_PACKAGES) {
    const built = join(engineDir, '..', name, 'dist', 'index.js')
    if (!existsSync(built)) {
      throw new Error(`${built} is missing: this test runs the BUILT engine in a child process; build first (pnpm build at the repository root)`)
    }
  }
}

describe('SIGKILL of a real writer process', () => {
  let scratch = ''
  beforeAll(async () => {
    assertBuilt()
    scratch = await mkdtemp(join(tmpdir(), 'tinydb-kill-'))
  })
  afterAll(async () => {
    if (scratch !== '') await rm(scratch, { recursive: true, force: true })
  })

  it(`recovers exactly a prefix of every writer's operations, through every acknowledged one (seed ${SEED}, ${ROUNDS} rounds)`, async () => {
    console.log('kill test seed', SEED, '(TINYDB_KILL_SEED to replay), rounds', ROUNDS)
    const prng = new Prng(SEED)
    const dir = join(scratch, 'db')
    const rounds: Round[] = []
    let checkpoints = 0
    let acks = 0
    let killedBeforeOpen = 0
    for (let index = 0; index < ROUNDS; index++) {
      const round: Round = {
        index,
        writers: Array.from({ length: WRITERS }, (_, writer) => planWriter(prng, index, writer)),
        acknowledged: [],
        recovered: undefined,
      }
      const planPath = join(scratch, `plan-${index}.json`)
      await writeFile(planPath, JSON.stringify({ options: OPTIONS, writers: round.writers.map((writer) => writer.operations) }))
      const kill = prng.int(4) === 0 ? { afterMs: prng.int(600) } : { afterAcks: prng.int(WRITERS * OPERATIONS_PER_WRITER) }
      const result = await runChild(dir, planPath, kill)
      round.acknowledged = result.acknowledged
      rounds.push(round)
      checkpoints += result.checkpoints
      acks += result.acknowledged.reduce((sum, count) => sum + count, 0)
      if (!result.opened) killedBeforeOpen++
      // Most rounds are verified at once; the others leave an unclean store for the next writer to recover.
      if (index === ROUNDS - 1 || prng.int(3) !== 0) await verify(dir, rounds)
    }
    console.log(`kill test: ${ROUNDS} rounds, ${acks} acknowledged operations, ${checkpoints} checkpoints in the writers, ${killedBeforeOpen} kills before open completed`)
    // The rounds must really have exercised checkpoints under the kill, not just the log.
    expect(checkpoints).toBeGreaterThan(0)
  })
})
