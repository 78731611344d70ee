import { SimVfs, type CrashMode } from '@tinydb/vfs'
import { open, type Db, type OpenOptions } from '../../src/index.js'
import { checkClean, matchPrefix, sameState, snapshot, stateDiff } from './invariants.js'
import { applyWrite, newRunLog, runWorkload, type Model, type RunLog, type Workload } from './workloads.js'

/**
 * The crash–recover loop of issue 4, item 1. For a workload whose counting run issues N I/O
 * operations, `exploreCrashPoint(n, mode)` replays it on a fresh SimVfs with the same seed, lets the
 * machine go down at operation n, applies the crash mode, recovers on a copy of the platter and
 * checks invariants 1-6; `exploreRecoveryCrashes` then crashes that recovery at each of its own
 * operations and checks invariant 8 (recovering again gives the same state).
 */

export const DIR = '/db'
export const MODES: readonly CrashMode[] = ['drop', 'tear', 'reorder']
/** A run over an in-memory disk that has not settled after this long is hung, not slow. */
const HANG_MS = 20_000

export interface Violation {
  readonly workload: string
  readonly seed: number
  readonly crashAt: number
  readonly mode: CrashMode
  /** Set when the violation was found after crashing the recovery at this operation. */
  readonly recoveryCrashAt?: number
  readonly what: string
}

export interface Exploration {
  /** Crash–recover cycles run: one per crash point and mode, plus one per recovery crash point. */
  cycles: number
  crashPoints: number
  recoveryCrashPoints: number
  /** Crash points where the pre-crash visible state could be read (invariant 2 checked). */
  visibleChecks: number
  violations: Violation[]
  violationCount: number
}

export function newExploration(): Exploration {
  return { cycles: 0, crashPoints: 0, recoveryCrashPoints: 0, visibleChecks: 0, violations: [], violationCount: 0 }
}

function record(exploration: Exploration, violation: Violation): void {
  exploration.violationCount++
  if (exploration.violations.length < 20) exploration.violations.push(violation)
}

export async function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${HANG_MS} ms`)), HANG_MS)
  })
  try {
    return await Promise.race([work, hang])
  } finally {
    clearTimeout(timer)
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function storeOptions(workload: Workload, vfs: SimVfs): OpenOptions {
  return { vfs, ...workload.spec.options }
}

export interface CountingRun {
  readonly operations: number
  readonly checkpoints: number
  /** The highest log segment number in use at the end: above 1 means the log rolled over. */
  readonly lastSegment: number
  readonly finalState: Model
}

/** Runs the workload to the end and closes the store: how many I/O operations a crash can hit. */
export async function countOperations(workload: Workload): Promise<CountingRun> {
  const vfs = new SimVfs({ seed: workload.spec.seed })
  const db = await open(DIR, storeOptions(workload, vfs))
  const log = newRunLog()
  await withDeadline(
    runWorkload(db, workload, log, () => false),
    `workload ${workload.spec.name}`,
  )
  if (log.unexpected.length > 0) throw log.unexpected[0]
  const checkpoints = db.stats().checkpoints.completed
  await db.close()
  const finalState: Model = new Map()
  for (const op of log.issued) applyWrite(finalState, op)
  const segments = (await vfs.readdir(`${DIR}/wal`)).filter((name) => name.endsWith('.wal'))
  const lastSegment = Math.max(0, ...segments.map((name) => Number.parseInt(name, 16)))
  return { operations: vfs.operationCount, checkpoints, lastSegment, finalState }
}

/** Opens the store on `vfs`, reads its whole state and checks it; the store is closed before returning. */
async function recoverAndRead(workload: Workload, vfs: SimVfs): Promise<{ state: Model; problem: string | undefined }> {
  const db: Db = await open(DIR, storeOptions(workload, vfs))
  try {
    const state = await snapshot(db)
    return { state, problem: await checkClean(db) }
  } finally {
    await db.close()
  }
}

/**
 * One crash point in one mode. Returns the platter after the crash and the state the recovery found
 * (undefined when it failed: the violation is recorded).
 */
export async function exploreCrashPoint(
  exploration: Exploration,
  workload: Workload,
  crashAt: number,
  mode: CrashMode,
): Promise<{ image: SimVfs; state: Model } | undefined> {
  const { name, seed } = workload.spec
  const site = { workload: name, seed, crashAt, mode }
  const vfs = new SimVfs({ seed })
  const log: RunLog = newRunLog()
  vfs.crashAtOperation(crashAt)
  exploration.cycles++
  exploration.crashPoints++
  let db: Db | undefined
  try {
    await withDeadline(
      (async () => {
        db = await open(DIR, storeOptions(workload, vfs))
        await runWorkload(db, workload, log, () => vfs.halted)
        // Once the machine is down, closing would only mark the store closed and hide what readers saw.
        if (!vfs.halted) await db.close()
      })(),
      `${name} crashing at ${crashAt}`,
    )
  } catch (error) {
    if (!vfs.halted) {
      record(exploration, { ...site, what: `failed before the crash point: ${describe(error)}` })
      return undefined
    }
  }
  if (log.unexpected.length > 0) {
    record(exploration, { ...site, what: `a write failed before the crash point: ${describe(log.unexpected[0])}` })
    return undefined
  }
  if (!vfs.halted) {
    record(exploration, { ...site, what: `crash point ${crashAt} was never reached: the workload is not deterministic` })
    return undefined
  }
  // Invariant 2: what readers could see when the power went must survive it. The read works only
  // while every page it needs is cached (I/O fails from the crash point on); otherwise it is skipped.
  const visible = await visibleState(db)
  vfs.crash({ mode })
  const image = vfs.clone()
  try {
    const { state, problem } = await withDeadline(recoverAndRead(workload, image.clone()), `${name} recovering from ${crashAt}`)
    const prefix = matchPrefix(state, log)
    if ('violation' in prefix) record(exploration, { ...site, what: `recovered ${prefix.violation}` })
    if (visible !== undefined && 'lengths' in prefix) {
      exploration.visibleChecks++
      const seen = matchPrefix(visible, log)
      if ('violation' in seen) record(exploration, { ...site, what: `visible before the crash: ${seen.violation}` })
      else if (Math.min(...seen.lengths) > Math.max(...prefix.lengths)) {
        record(exploration, { ...site, what: `readers saw ${Math.min(...seen.lengths)} writes, the crash kept ${Math.max(...prefix.lengths)}` })
      }
    }
    if (problem !== undefined) record(exploration, { ...site, what: problem })
    return { image, state }
  } catch (error) {
    record(exploration, { ...site, what: `recovery failed: ${describe(error)}` })
    return undefined
  }
}

async function visibleState(db: Db | undefined): Promise<Model | undefined> {
  if (db === undefined) return undefined
  try {
    return await snapshot(db)
  } catch {
    return undefined
  }
}

/** The recovery run that invariant 8 crashes: open (replay), a checkpoint, close. */
async function recoveryRun(workload: Workload, vfs: SimVfs): Promise<void> {
  const db = await open(DIR, storeOptions(workload, vfs))
  await db.checkpoint()
  await db.close()
}

/**
 * Invariant 8: crash the recovery of `image` at each of its operations (modes in turn), recover
 * again, and require exactly the state the first recovery found, with a clean check.
 */
export async function exploreRecoveryCrashes(
  exploration: Exploration,
  workload: Workload,
  crashAt: number,
  mode: CrashMode,
  image: SimVfs,
  expected: Model,
): Promise<void> {
  const { name, seed } = workload.spec
  const counter = image.clone()
  await recoveryRun(workload, counter)
  const operations = counter.operationCount
  for (let recoveryCrashAt = 1; recoveryCrashAt <= operations; recoveryCrashAt++) {
    const recoveryMode = MODES[(crashAt + recoveryCrashAt) % MODES.length]!
    const site = { workload: name, seed, crashAt, mode, recoveryCrashAt }
    exploration.cycles++
    exploration.recoveryCrashPoints++
    const vfs = image.clone()
    vfs.crashAtOperation(recoveryCrashAt)
    try {
      await withDeadline(recoveryRun(workload, vfs), `${name} recovery crashing at ${recoveryCrashAt}`)
    } catch (error) {
      if (!vfs.halted) {
        record(exploration, { ...site, what: `recovery failed before its crash point: ${describe(error)}` })
        continue
      }
    }
    if (!vfs.halted) {
      record(exploration, { ...site, what: `recovery crash point ${recoveryCrashAt} of ${operations} was never reached` })
      continue
    }
    vfs.crash({ mode: recoveryMode })
    try {
      const { state, problem } = await withDeadline(recoverAndRead(workload, vfs.clone()), `${name} recovering again`)
      if (!sameState(state, expected)) {
        record(exploration, { ...site, what: `second recovery (${recoveryMode}) differs: ${stateDiff(state, expected)}` })
      }
      if (problem !== undefined) record(exploration, { ...site, what: problem })
    } catch (error) {
      record(exploration, { ...site, what: `second recovery (${recoveryMode}) failed: ${describe(error)}` })
    }
  }
}
