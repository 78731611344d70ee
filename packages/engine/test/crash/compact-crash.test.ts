import { Prng, SimVfs, type CrashMode } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { compact, open, type CompactReport, type Db } from '../../src/index.js'
import { MODES, withDeadline } from './harness.js'

/**
 * Issue 6, point 3: compaction is crash-safe. A seeded store (overflow values, many deletes, so
 * there are free pages to reclaim, and log records after its last checkpoint, so compaction has to
 * replay and checkpoint first) is compacted on a copy of its disk that goes down at operation n, for
 * every n of the compaction, in every crash mode. After the crash, recovery must find exactly the
 * store's entries with a clean check, from the old file or the new one (its page count tells which),
 * and a second compaction and open must succeed despite whatever the first left behind. That second
 * compaction is also crashed once, at a seeded operation in a seeded mode, and recovered.
 */
process.env['TINYDB_VERIFY'] ??= '1'

const DIR = '/db'
const decoder = new TextDecoder()
type Model = Map<string, string>

interface Fixture {
  readonly seed: number
  readonly image: SimVfs
  readonly expected: Model
}

/** Writes, deletes most of it, writes a little more after the last checkpoint, then loses power. */
async function buildFixture(seed: number, pageSize: number): Promise<Fixture> {
  const vfs = new SimVfs({ seed })
  const prng = new Prng(seed)
  const db = await open(DIR, { vfs, pageSize, walSegmentSize: 4096, checkpointThreshold: 4096 })
  const expected: Model = new Map()
  const put = async (key: string, size: number) => {
    const value = `${key}:${'v'.repeat(size)}`
    await db.put(key, value)
    expected.set(key, value)
  }
  for (let i = 0; i < 160; i++) await put(`k${String(prng.int(1000)).padStart(4, '0')}`, prng.bool(0.2) ? pageSize / 2 + prng.int(pageSize) : prng.int(40))
  for (const key of [...expected.keys()]) {
    if (prng.bool(0.7)) {
      await db.del(key)
      expected.delete(key)
    }
  }
  await db.checkpoint()
  for (let i = 0; i < 12; i++) await put(`late${i}`, prng.bool(0.3) ? 500 : 10)
  await db.del([...expected.keys()][0]!)
  expected.delete([...expected.keys()][0]!)
  // No close: the late writes are only in the log, as after a crash.
  vfs.crash({ mode: 'drop' })
  return { seed, image: vfs.clone(), expected }
}

async function readAll(db: Db): Promise<Model> {
  const state: Model = new Map()
  for await (const [key, value] of db.scan()) state.set(decoder.decode(key), decoder.decode(value))
  return state
}

function diff(actual: Model, expected: Model): string | undefined {
  for (const [key, value] of expected) if (actual.get(key) !== value) return `${key}: expected ${value.slice(0, 20)}, got ${actual.get(key)?.slice(0, 20)}`
  for (const key of actual.keys()) if (!expected.has(key)) return `${key}: present, never expected`
  return undefined
}

/** Opens, compares with the model and checks; returns the data file's page count, or a problem. */
async function verify(vfs: SimVfs, expected: Model): Promise<{ pageCount: number } | { problem: string }> {
  const db = await open(DIR, { vfs })
  try {
    const state = await readAll(db)
    const mismatch = diff(state, expected)
    if (mismatch !== undefined) return { problem: `state differs: ${mismatch}` }
    const report = await db.check()
    if (!report.ok) return { problem: `check: ${report.problems.map((p) => `page ${p.pageId}: ${p.what}`).join('; ')}` }
    return { pageCount: db.stats().pageCount }
  } finally {
    await db.close()
  }
}

describe('compact under crashes', () => {
  it.each([
    { defaultSeed: 6031, pageSize: 512 },
    { defaultSeed: 6032, pageSize: 4096 },
  ])('leaves the old or the new file, with the same entries, at every crash point in every mode ($pageSize-byte pages)', async ({ defaultSeed, pageSize }) => {
    const seed = Number(process.env['TINYDB_SEED'] ?? defaultSeed)
    console.log(`compact crash: seed ${seed} (rerun with TINYDB_SEED=${seed}), ${pageSize}-byte pages`)
    const fixture = await buildFixture(seed, pageSize)

    // The counting run: how many I/O operations compaction issues, and its result.
    const counting = fixture.image.clone()
    const before = counting.operationCount
    const full: CompactReport = await compact(DIR, { vfs: counting })
    const operations = counting.operationCount - before
    expect(full.pagesAfter).toBeLessThan(full.pagesBefore)
    expect(full.freePagesBefore).toBeGreaterThan(0)
    expect(full.recovery.recordsReplayed).toBeGreaterThan(0)
    const compacted = await verify(counting, fixture.expected)
    expect(compacted).toEqual({ pageCount: full.pagesAfter })
    console.log(`compact crash: ${operations} I/O operations, ${full.pagesBefore} -> ${full.pagesAfter} pages`)

    const violations: string[] = []
    const outcomes = { old: 0, new: 0 }
    let cycles = 0
    // crashAt = operations + 1: compaction completes, then the power goes (it must have been durable).
    for (let crashAt = 1; crashAt <= operations + 1; crashAt++) {
      for (const mode of MODES) {
        const site = `seed ${seed}, crash at ${crashAt}/${operations}, mode ${mode}`
        try {
          const outcome = await withDeadline(crashCycle(fixture, crashAt, mode, { ...full, operations }), site)
          if ('problem' in outcome) violations.push(`${site}: ${outcome.problem}`)
          else outcomes[outcome.file]++
        } catch (error) {
          violations.push(`${site}: ${error instanceof Error ? error.message : String(error)}`)
        }
        cycles++
      }
    }
    console.log(`compact crash: ${cycles} crash–recover cycles, old file kept ${outcomes.old}, new file ${outcomes.new}`)
    expect(violations.slice(0, 10)).toEqual([])
    // Both sides of the switch were reached.
    expect(outcomes.old).toBeGreaterThan(0)
    expect(outcomes.new).toBeGreaterThanOrEqual(MODES.length)
  }, 600_000)
})

async function crashCycle(
  fixture: Fixture,
  crashAt: number,
  mode: CrashMode,
  full: CompactReport & { readonly operations: number },
): Promise<{ file: 'old' | 'new' } | { problem: string }> {
  const vfs = fixture.image.clone()
  const completes = crashAt > full.operations
  if (!completes) vfs.crashAtOperation(crashAt)
  try {
    await compact(DIR, { vfs })
    if (!completes) return { problem: 'the crash point was never reached' }
  } catch (error) {
    if (!vfs.halted) return { problem: `failed before the crash point: ${error instanceof Error ? error.message : String(error)}` }
  }
  vfs.crash({ mode })
  const recovered = await verify(vfs, fixture.expected)
  if ('problem' in recovered) return recovered
  // The new file has exactly the compacted page count; the old one (before or after compaction's
  // own checkpoint) has more.
  const file = recovered.pageCount === full.pagesAfter ? 'new' : 'old'
  // The next compaction starts from whatever the crash left (a temporary file, a half-built one).
  // It is crashed too, at a seeded operation in a seeded mode, and must again leave the entries.
  const prng = new Prng(fixture.seed * 1000 + crashAt * 3 + MODES.indexOf(mode))
  const second = vfs.clone()
  second.crashAtOperation(1 + prng.int(full.operations))
  const secondMode = MODES[prng.int(MODES.length)]!
  const interrupted = await compact(DIR, { vfs: second }).then(
    () => false,
    () => second.halted,
  )
  if (interrupted) {
    second.crash({ mode: secondMode })
    const afterSecond = await verify(second, fixture.expected)
    if ('problem' in afterSecond) return { problem: `after a crash of the next compaction (${secondMode}): ${afterSecond.problem}` }
  }
  // And, uninterrupted, compacting again works.
  const again = await compact(DIR, { vfs })
  if (again.pagesAfter !== full.pagesAfter) return { problem: `compacting again gave ${again.pagesAfter} pages, not ${full.pagesAfter}` }
  const final = await verify(vfs, fixture.expected)
  if ('problem' in final) return { problem: `after compacting again: ${final.problem}` }
  return { file }
}
