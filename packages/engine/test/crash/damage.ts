import { Prng, SimVfs, TinyDbError } from '@tinydb/vfs'
import { inspectWal } from '@tinydb/wal'
import { open, type Db, type OpenOptions } from '../../src/index.js'
import { DIR } from './harness.js'
import { applyWrite, makeWorkload, newRunLog, runWorkload, type Model, type WorkloadSpec } from './workloads.js'

/**
 * Damage at rest (issue 4, item 3): a store is built on SimVfs, then one of its files is damaged on
 * the platter, and every way of reading it — open, get of every key, a full scan, check — must give
 * exactly the right data or a `CORRUPTION` error that names the file and the page or offset.
 */

export type DamageKind = 'bit flip' | 'random bytes' | 'zeroed sector' | 'zeroed 4 KiB block'
export const DAMAGE_KINDS: readonly DamageKind[] = ['bit flip', 'random bytes', 'zeroed sector', 'zeroed 4 KiB block']

export interface DamageBase {
  /** The platter after the workload: clone it for each case. */
  readonly image: SimVfs
  readonly options: OpenOptions
  /**
   * The states a reader may see: the full model, and — when the log holds records after the last
   * checkpoint — the model without the last commit group, which damage makes look like a torn tail
   * (the one documented exception).
   */
  readonly models: readonly Model[]
  readonly tailModel: Model | undefined
  /**
   * The log's frames (LSN, file, offset and size of each), and the state after each prefix of the
   * log: `prefixModels[n]` holds records 1..n.
   */
  readonly frames: readonly { readonly lsn: number; readonly path: string; readonly offset: number; readonly size: number }[]
  readonly prefixModels: readonly Model[]
  /** Every key ever written, so a key that should be absent is asked for too. */
  readonly keys: readonly string[]
  /** The files that can be damaged, with the length of their used (non-zero) prefix. */
  readonly files: readonly { readonly path: string; readonly used: number; readonly size: number }[]
}

/**
 * Runs `spec` with a single writer (every commit group is then one record) and either closes the
 * store (`tail: false`: everything checkpointed) or loses power after the writes (`tail: true`: the
 * log holds the records after the last checkpoint).
 */
export async function buildDamageBase(spec: WorkloadSpec, tail: boolean): Promise<DamageBase> {
  if (spec.writers !== 1) throw new Error('damage bases use one writer: one record per commit group')
  const workload = makeWorkload(spec)
  const vfs = new SimVfs({ seed: spec.seed })
  const options: OpenOptions = { ...spec.options }
  const db = await open(DIR, { vfs, ...options })
  const log = newRunLog()
  await runWorkload(db, workload, log, () => false)
  if (log.unexpected.length > 0) throw log.unexpected[0]
  const full: Model = new Map()
  const withoutLast: Model = new Map()
  // One writer: record n (LSN n) is the n-th write issued.
  const prefixModels: Model[] = [new Map()]
  for (const [index, op] of log.issued.entries()) {
    applyWrite(full, op)
    if (index < log.issued.length - 1) applyWrite(withoutLast, op)
    prefixModels.push(new Map(full))
  }
  const pendingRecords = db.stats().wal.nextLsn - 1 - db.stats().checkpoints.lastCheckpointLsn
  if (tail) {
    if (pendingRecords < 2) throw new Error(`workload ${spec.name} leaves ${pendingRecords} records after its last checkpoint`)
    vfs.crash()
  } else await db.close()
  const keys = new Set<string>()
  for (const op of log.issued) {
    if (op.kind === 'batch') for (const item of op.ops) keys.add(String(item.key))
    else keys.add(op.key)
  }
  const files = vfs
    .listDurable()
    .filter((path) => !path.endsWith('/') && !path.endsWith('LOCK'))
    .map((path) => {
      const bytes = vfs.readDurable(path)
      let used = bytes.length
      while (used > 0 && bytes[used - 1] === 0) used--
      return { path, used, size: bytes.length }
    })
  const inspection = await inspectWal(vfs.clone(), `${DIR}/wal`)
  const frames = inspection.records.map(({ lsn, segment, offset, frameSize }) => ({ lsn, path: `${DIR}/wal/${segment}`, offset, size: frameSize }))
  return {
    image: vfs,
    options,
    models: tail ? [full, withoutLast] : [full],
    tailModel: tail ? withoutLast : undefined,
    keys: [...keys].sort(),
    files,
    frames,
    prefixModels,
  }
}

export interface DamageCase {
  readonly path: string
  readonly kind: DamageKind
  readonly offset: number
  readonly length: number
}

/** Draws a damage: mostly inside the used part of the file (a preallocated segment is mostly zeros). */
export function drawDamage(prng: Prng, base: DamageBase, kind: DamageKind): DamageCase {
  // Half the cases hit the data file, half a log segment.
  const data = base.files.filter((file) => !file.path.includes('/wal/'))
  const log = base.files.filter((file) => file.path.includes('/wal/'))
  const pool = prng.int(2) === 0 || log.length === 0 ? data : log
  const file = pool[prng.int(pool.length)]!
  const span = prng.int(5) === 0 || file.used === 0 ? file.size : file.used
  const at = prng.int(Math.max(1, span))
  if (kind === 'zeroed sector' || kind === 'zeroed 4 KiB block') {
    const unit = kind === 'zeroed sector' ? 512 : 4096
    const offset = Math.floor(at / unit) * unit
    return { path: file.path, kind, offset, length: Math.min(unit, file.size - offset) }
  }
  const length = kind === 'bit flip' ? 1 : Math.min(1 + prng.int(32), file.size - at)
  return { path: file.path, kind, offset: at, length }
}

export function applyDamage(vfs: SimVfs, prng: Prng, damage: DamageCase): void {
  if (damage.kind === 'bit flip') vfs.flipBit(damage.path, damage.offset, prng.int(8))
  else if (damage.kind === 'random bytes') {
    const bytes = new Uint8Array(damage.length)
    for (let i = 0; i < bytes.length; i++) bytes[i] = prng.int(256)
    vfs.overwrite(damage.path, damage.offset, bytes)
  } else vfs.zero(damage.path, damage.offset, damage.length)
}

/**
 * The one other state damage to the log may leave: when it destroys the header of every frame from
 * some record to the end of the log, nothing left proves those records were separate, acknowledged
 * commit groups — it is byte for byte what a torn final write of one group holding them all can
 * leave (a tear persists any subset of the write's sectors), and recovery must discard a torn
 * tail. Then the state before the first damaged record is allowed. A later intact frame header
 * (a later group) still makes any damage before it a detected CORRUPTION.
 */
function tornLookalike(base: DamageBase, damage: Pick<DamageCase, 'path' | 'offset' | 'length'>): Model[] {
  const end = damage.offset + damage.length
  const overlaps = (from: number, to: number) => from < end && to > damage.offset
  const first = base.frames.findIndex((frame) => frame.path === damage.path && overlaps(frame.offset, frame.offset + frame.size))
  if (first < 0) return []
  const laterHeaderIntact = base.frames
    .slice(first + 1)
    .some((frame) => frame.path !== damage.path || !overlaps(frame.offset, frame.offset + FRAME_HEADER_BYTES))
  return laterHeaderIntact ? [] : [base.prefixModels[base.frames[first]!.lsn - 1]!]
}

const FRAME_HEADER_BYTES = 20

/** A `CORRUPTION` error must say where: the file (or log directory), and a page, an offset or the LSNs. */
function corruptionProblem(error: unknown, what: string): string | undefined {
  if (!TinyDbError.isInstance(error)) return `${what} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
  if (error.code !== 'CORRUPTION') return `${what} threw ${error.code}: ${error.message}`
  if (error.file === undefined || !error.message.includes(error.file)) return `${what}: CORRUPTION without the file: ${error.message}`
  // A hole in the log (records a checkpoint needs are gone, or the log ends before the checkpoint)
  // has no file or offset to name: the recovery layer names the log directory and the LSNs.
  const located = error.pageId !== undefined || error.offset !== undefined || /\blsn\b|log records/.test(error.message)
  if (!located) return `${what}: CORRUPTION without a page or offset: ${error.message}`
  return undefined
}

const decoder = new TextDecoder()

export interface DamageOutcome {
  /** Violations of the contract; empty when the case passed. */
  readonly problems: string[]
  /** How the store answered: 'open refused', 'reads refused', or 'all data right'. */
  readonly verdict: 'open refused' | 'some reads refused' | 'all data right'
}

/**
 * Opens the damaged store and reads everything, comparing with the models. A read may throw
 * CORRUPTION; every answer it gives must agree with one same model throughout.
 */
export async function readDamaged(vfs: SimVfs, base: DamageBase, damage: Pick<DamageCase, 'path' | 'offset' | 'length'>): Promise<DamageOutcome> {
  // Losing the last commit group is excused only when the log was damaged: it then looks torn.
  const models = damage.path.includes('/wal/') ? [...base.models, ...tornLookalike(base, damage)] : base.models.slice(0, 1)
  const problems: string[] = []
  let db: Db
  try {
    db = await open(DIR, { vfs, ...base.options })
  } catch (error) {
    const problem = corruptionProblem(error, 'open')
    return { problems: problem === undefined ? [] : [problem], verdict: 'open refused' }
  }
  // The models every answer so far agrees with.
  let candidates = [...models]
  let refused = 0
  const agree = (key: string, value: string | undefined, what: string) => {
    const left = candidates.filter((model) => model.get(key) === value)
    if (left.length === 0) {
      const expected = models.map((model) => model.get(key)?.slice(0, 20) ?? 'nothing').join(' or ')
      problems.push(`${what} ${key}: got ${value === undefined ? 'nothing' : value.slice(0, 20)}, expected ${expected}`)
    } else candidates = left
  }
  try {
    for (const key of base.keys) {
      try {
        const value = await db.get(key)
        agree(key, value === undefined ? undefined : decoder.decode(value), 'get')
      } catch (error) {
        refused++
        const problem = corruptionProblem(error, `get ${key}`)
        if (problem !== undefined) problems.push(problem)
      }
    }
    try {
      const seen = new Set<string>()
      for await (const [key, value] of db.scan()) {
        const text = decoder.decode(key)
        seen.add(text)
        agree(text, decoder.decode(value), 'scan')
      }
      // A scan that ended without an error must have returned every key of the model.
      for (const key of base.keys) if (!seen.has(key)) agree(key, undefined, 'scan (absent)')
    } catch (error) {
      refused++
      const problem = corruptionProblem(error, 'scan')
      if (problem !== undefined) problems.push(problem)
    }
    try {
      const report = await db.check()
      if (refused > 0 && report.ok) problems.push(`check() reports ok, yet ${refused} reads were refused as corrupt`)
      for (const problem of report.problems) {
        if (problem.file === undefined || (problem.pageId === undefined && problem.offset === undefined && !/lsn|log/.test(problem.what))) {
          problems.push(`check() problem without a location: ${JSON.stringify(problem)}`)
        }
      }
    } catch (error) {
      const problem = corruptionProblem(error, 'check')
      if (problem !== undefined) problems.push(problem)
    }
  } finally {
    await db.close().catch(() => undefined)
  }
  return { problems, verdict: refused > 0 ? 'some reads refused' : 'all data right' }
}
