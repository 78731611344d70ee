import { describe, expect, it } from 'vitest'
import { Prng, SimVfs, TinyDbError, type CrashMode, type FaultSpec } from '@tinydb/vfs'
import { open, type Db, type OpenOptions } from '../../src/index.js'
import { DIR, MODES } from './harness.js'
import { checkClean, matchPrefix, snapshot } from './invariants.js'
import { makeWorkload, newRunLog, runWorkload, type RunLog, type WorkloadSpec } from './workloads.js'

/**
 * Issue 4, item 4: failing disks. A fault (failed fdatasync, EIO or ENOSPC on a write) is injected
 * into the log or the data file at a seeded point of a concurrent workload. Then:
 * - every write that fails says `IO` (the one that met the fault) or `POISONED` (after it);
 * - after a failed fdatasync or write, every later write is refused with `POISONED` (invariant 7);
 * - reads are still served, and what they show includes every acknowledged write (a prefix of the log);
 * - reopening — after a clean close, or after a power cut in each crash mode — recovers every
 *   acknowledged write, exactly a prefix of the log, and `check()` is clean; and so does a power cut
 *   after the reopened store wrote and checkpointed (nothing was built on bytes that only looked
 *   durable after the failed fdatasync).
 */

process.env['TINYDB_VERIFY'] ??= '1' // the pager's self-checks, on in every fault-injection test
/** `TINYDB_CRASH_LONG=1`: five seeds per scenario instead of one. */
const LONG = process.env['TINYDB_CRASH_LONG'] === '1'
const SEEDS = LONG ? [4242, 5353, 6464, 7575, 8686] : [4242]
const KiB = 1024
const spec = (seed: number): WorkloadSpec => ({
  name: `faults-${seed}`,
  seed,
  writers: 3,
  opsPerWriter: 24,
  overflowSize: 300,
  options: { pageSize: 512, checkpointThreshold: 3 * KiB, walSegmentSize: 4 * KiB },
})

type Ending = 'close' | CrashMode
const ENDINGS: readonly Ending[] = ['close', ...MODES]

interface Scenario {
  readonly name: string
  readonly fault: Omit<FaultSpec, 'afterMatches'>
}

const scenarios: readonly Scenario[] = [
  { name: 'log fdatasync fails (EIO)', fault: { operation: 'sync', path: /\/wal\//, error: 'EIO' } },
  { name: 'data file fdatasync fails during a checkpoint (EIO)', fault: { operation: 'sync', path: /data\.tdb$/, error: 'EIO' } },
  { name: 'log append write fails (ENOSPC)', fault: { operation: 'write', path: /\/wal\//, error: 'ENOSPC' } },
  { name: 'log append write fails (EIO)', fault: { operation: 'write', path: /\/wal\//, error: 'EIO' } },
  { name: 'checkpoint page write fails (ENOSPC)', fault: { operation: 'write', path: /data\.tdb$/, error: 'ENOSPC' } },
  { name: 'checkpoint page write fails (EIO)', fault: { operation: 'write', path: /data\.tdb$/, error: 'EIO' } },
]

function codeOf(error: unknown): string {
  return TinyDbError.isInstance(error) ? error.code : `${error instanceof Error ? error.name : typeof error}: ${String(error)}`
}

function ioInChain(error: unknown): boolean {
  for (let at: unknown = error; at !== undefined; at = at instanceof Error ? at.cause : undefined) {
    if (TinyDbError.isInstance(at) && at.code === 'IO') return true
  }
  return false
}

async function refusal(work: () => Promise<unknown>): Promise<string> {
  try {
    await work()
    return 'accepted'
  } catch (error) {
    return codeOf(error)
  }
}

function prefixProblem(state: Map<string, string>, log: RunLog, when: string): string | undefined {
  const match = matchPrefix(state, log)
  return 'violation' in match ? `${when}: ${match.violation}` : undefined
}

/** Runs one scenario; returns whether the fault fired, and every contract violation seen. */
async function faultRun(
  seed: number,
  scenario: Scenario,
  afterMatches: number,
  ending: Ending,
  reopenCrashAt?: number,
): Promise<{ fired: boolean; problems: string[]; reopenOperations: number }> {
  const workloadSpec = spec(seed)
  const workload = makeWorkload(workloadSpec)
  const options: OpenOptions = workloadSpec.options
  const vfs = new SimVfs({ seed })
  const db: Db = await open(DIR, { vfs, ...options })
  vfs.injectFault({ ...scenario.fault, afterMatches })
  const log = newRunLog()
  const errors: unknown[] = []
  await runWorkload(db, workload, log, (error) => {
    errors.push(error)
    return true
  })
  const problems: string[] = []
  const fired = errors.length > 0
  if (fired) {
    // The I/O error reaches the caller, directly or as the cause of POISONED (a background
    // checkpoint that failed has no caller of its own).
    if (!errors.some((error) => ioInChain(error))) problems.push(`no failure carries the IO error: ${errors.map(codeOf).join(', ')}`)
    for (const error of errors) if (!['IO', 'POISONED'].includes(codeOf(error))) problems.push(`a write failed with ${codeOf(error)}`)
    // Invariant 7: once a write or fdatasync failed, nothing is written until the store is reopened.
    for (const [what, attempt] of [
      ['put', () => db.put('late', 'x')],
      ['del', () => db.del('s/1')],
      ['batch', () => db.batch([{ type: 'put', key: 'late2', value: 'y' }])],
      ['checkpoint', () => db.checkpoint()],
    ] as const) {
      const code = await refusal(attempt)
      if (code !== 'POISONED') problems.push(`${what} after the failure: ${code}, expected POISONED`)
    }
  }
  // Reads are still served, and show every acknowledged write.
  try {
    const problem = prefixProblem(await snapshot(db), log, 'reads after the failure')
    if (problem !== undefined) problems.push(problem)
    if (fired) {
      const report = await db.check()
      if (!report.ok) problems.push(`check() on the failed store: ${JSON.stringify(report.problems)}`)
    }
  } catch (error) {
    problems.push(`reads after the failure threw ${codeOf(error)}: ${String(error)}`)
  }
  vfs.clearFaults() // the disk has space again / the bad block was remapped
  if (ending === 'close') await db.close()
  else vfs.crash({ mode: ending })
  // The reopened store's life: recover, take a write, checkpoint on close. `reopenCrashAt` cuts the
  // power at one of its operations; problems are only meaningful if it ran to the end.
  const reopenStart = vfs.operationCount
  if (reopenCrashAt !== undefined) vfs.crashAtOperation(reopenCrashAt)
  const reopenProblems: string[] = []
  let lateAcknowledged = false
  try {
    const reopened = await open(DIR, { vfs, ...options })
    try {
      const problem = prefixProblem(await snapshot(reopened), log, `after reopening (${ending})`)
      if (problem !== undefined) reopenProblems.push(problem)
      const unclean = await checkClean(reopened)
      if (unclean !== undefined) reopenProblems.push(`after reopening (${ending}): ${unclean}`)
      // The reopened store takes writes again.
      await reopened.put('after-reopen', 'ok')
      lateAcknowledged = true
    } finally {
      await reopened.close()
    }
  } catch (error) {
    if (!vfs.halted) throw error
  }
  if (!vfs.halted) problems.push(...reopenProblems)
  const reopenOperations = vfs.operationCount - reopenStart
  // fsyncgate: what the failed fdatasync left visible but not durable must not have been built on.
  // Power fails after (or while) the reopened store wrote and checkpointed; everything acknowledged
  // must still be there.
  vfs.crash({ mode: reopenCrashAt === undefined ? 'drop' : MODES[reopenCrashAt % MODES.length]! })
  const afterPowerLoss = await open(DIR, { vfs, ...options })
  try {
    const state = await snapshot(afterPowerLoss)
    const late = state.get('after-reopen')
    if (lateAcknowledged ? late !== 'ok' : late !== undefined && late !== 'ok') problems.push(`after a power cut: after-reopen is ${late}`)
    state.delete('after-reopen')
    const problem = prefixProblem(state, log, 'after reopening, writing, closing and a power cut')
    if (problem !== undefined) problems.push(problem)
    const unclean = await checkClean(afterPowerLoss)
    if (unclean !== undefined) problems.push(`after a power cut: ${unclean}`)
  } finally {
    await afterPowerLoss.close()
  }
  return { fired, problems, reopenOperations }
}

describe('failing disks', () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: IO then POISONED, reads served, reopen keeps every acknowledged write`, { timeout: LONG ? 3_600_000 : 300_000 }, async () => {
      for (const seed of SEEDS) {
        console.log(`failing disk "${scenario.name}" seed ${seed}`)
        const prng = new Prng(seed)
        const failures: string[] = []
        let fired = 0
        let runs = 0
        let reopenCrashes = 0
        // Fault after 0, 1, 2, ... matching operations, so it meets groups, segment rollovers and
        // checkpoint steps alike; each run ends with a clean close or a power cut in a crash mode.
        for (let afterMatches = 0; afterMatches < 40; afterMatches += 1 + prng.int(3)) {
          const ending: Ending = ENDINGS[runs % ENDINGS.length]!
          const outcome = await faultRun(seed + runs, scenario, afterMatches, ending)
          if (outcome.fired) fired++
          for (const problem of outcome.problems) failures.push(`afterMatches ${afterMatches}, ${ending}: ${problem}`)
          // After a failed fdatasync and a reopen without a power cut, the OS still shows bytes that
          // are not durable: cut the power at every operation of the reopened store's life.
          if (outcome.fired && ending === 'close') {
            for (let crashAt = 1; crashAt <= outcome.reopenOperations; crashAt++) {
              const again = await faultRun(seed + runs, scenario, afterMatches, ending, crashAt)
              reopenCrashes++
              for (const problem of again.problems) failures.push(`afterMatches ${afterMatches}, close, reopen crashed at ${crashAt}: ${problem}`)
            }
          }
          runs++
        }
        console.log(`failing disk "${scenario.name}": ${runs} runs, the fault fired in ${fired}; ${reopenCrashes} power cuts after reopening`)
        expect(failures.slice(0, 10)).toEqual([])
        expect(fired).toBeGreaterThanOrEqual(5)
      }
    })
  }

  it('a failed log fdatasync: the failed write is not acknowledged, earlier ones survive a power cut', async () => {
    const vfs = new SimVfs({ seed: 5 })
    const db = await open(DIR, { vfs, pageSize: 512 })
    await db.put('before', 'ok')
    vfs.injectFault({ operation: 'sync', path: /\/wal\//, error: 'EIO' })
    expect(await refusal(() => db.put('during', 'x'))).toBe('IO')
    expect(await refusal(() => db.put('after', 'x'))).toBe('POISONED')
    expect(new TextDecoder().decode(await db.get('before'))).toBe('ok')
    // Linux marks the failed pages clean: a power cut loses them, however the retry went.
    vfs.crash({ mode: 'drop' })
    const reopened = await open(DIR, { vfs })
    expect(new TextDecoder().decode(await reopened.get('before'))).toBe('ok')
    expect(await reopened.get('during')).toBeUndefined()
    expect(await reopened.get('after')).toBeUndefined()
    await reopened.close()
  })
})
