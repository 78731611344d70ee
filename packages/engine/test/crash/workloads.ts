import { Prng } from '@tinydb/vfs'
import type { BatchOperation, Db, OpenOptions, Snapshot } from '../../src/index.js'

/**
 * Seeded workloads for the crash harness. A workload is fixed before it runs — every writer's list
 * of operations is drawn from the seed up front — so a run that crashes at operation n issues
 * exactly the operations the counting run issued, up to the crash.
 */

/**
 * A write (one log record each), a checkpoint request, or a snapshot held open across the writer's
 * next `holdFor` operations — so checkpoints run, and crashes strike, while pages are retained for a
 * reader. Neither of the last two writes a record or is part of the model.
 */
export type WorkloadOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'del'; readonly key: string }
  | { readonly kind: 'batch'; readonly ops: readonly BatchOperation[] }
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'snapshot'; readonly holdFor: number }

export type WriteOp = Exclude<WorkloadOp, { kind: 'checkpoint' | 'snapshot' }>

export interface WorkloadSpec {
  readonly name: string
  readonly seed: number
  readonly writers: number
  readonly opsPerWriter: number
  /** Store options: small pages, threshold and segments so checkpoints and rollovers happen early. */
  readonly options: Pick<OpenOptions, 'pageSize' | 'checkpointThreshold' | 'walSegmentSize' | 'checkpointFlushAfter'>
  /** Values at least this long (drawn 1 time in 6) go to overflow chains at the chosen page size. */
  readonly overflowSize: number
}

export interface Workload {
  readonly spec: WorkloadSpec
  readonly writers: readonly (readonly WorkloadOp[])[]
}

/** Keys are private to a writer (`w1/…`) or shared by all (`s/…`), so the global log order matters. */
function drawKey(prng: Prng, writer: number): string {
  return prng.int(4) === 0 ? `s/${prng.int(6)}` : `w${writer}/${prng.int(10)}`
}

/** Every value names who wrote it and when, so a value that was never written cannot pass for one. */
function drawValue(prng: Prng, spec: WorkloadSpec, writer: number, step: number, part: number): string {
  const roll = prng.int(6)
  const length = roll === 0 ? spec.overflowSize + prng.int(2 * spec.overflowSize) : roll < 3 ? 60 + prng.int(300) : prng.int(40)
  const stamp = `${spec.seed}.${writer}.${step}.${part}|`
  const filler = String.fromCharCode(97 + ((writer + step + part) % 26))
  return stamp + filler.repeat(Math.max(0, length - stamp.length))
}

export function makeWorkload(spec: WorkloadSpec): Workload {
  const prng = new Prng(spec.seed)
  const writers: WorkloadOp[][] = []
  for (let writer = 0; writer < spec.writers; writer++) {
    const ops: WorkloadOp[] = []
    for (let step = 0; step < spec.opsPerWriter; step++) {
      const roll = prng.int(20)
      if (roll < 11) ops.push({ kind: 'put', key: drawKey(prng, writer), value: drawValue(prng, spec, writer, step, 0) })
      else if (roll < 14) ops.push({ kind: 'del', key: drawKey(prng, writer) })
      else if (roll < 19) {
        const batch: BatchOperation[] = []
        const size = 1 + prng.int(6)
        for (let part = 0; part < size; part++) {
          batch.push(
            prng.int(4) === 0
              ? { type: 'del', key: drawKey(prng, writer) }
              : { type: 'put', key: drawKey(prng, writer), value: drawValue(prng, spec, writer, step, part) },
          )
        }
        ops.push({ kind: 'batch', ops: batch })
      } else if (prng.int(2) === 0) ops.push({ kind: 'checkpoint' })
      else ops.push({ kind: 'snapshot', holdFor: 1 + prng.int(8) })
    }
    writers.push(ops)
  }
  return { spec, writers }
}

/**
 * What a run did, in the order it happened. `issued` is the order in which writes were handed to the
 * store: `put`/`del`/`batch` append their log record synchronously when called, so this is LSN order.
 * `acknowledged` holds the indexes (into `issued`) of writes whose promise resolved.
 */
export interface RunLog {
  readonly issued: WriteOp[]
  readonly acknowledged: Set<number>
  /** Errors other than the simulated crash (or the store refusing writes after it). */
  readonly unexpected: unknown[]
}

export function newRunLog(): RunLog {
  return { issued: [], acknowledged: new Set(), unexpected: [] }
}

function issue(db: Db, op: WriteOp): Promise<void> {
  if (op.kind === 'put') return db.put(op.key, op.value)
  if (op.kind === 'del') return db.del(op.key)
  return db.batch(op.ops)
}

/**
 * Runs every writer concurrently, each one operation at a time. A writer stops at its first error
 * (after a crash point every I/O fails); `isExpected` tells which errors a crash explains.
 */
export async function runWorkload(db: Db, workload: Workload, log: RunLog, isExpected: (error: unknown) => boolean): Promise<void> {
  const writers = workload.writers.map(async (ops) => {
    const held: HeldSnapshot[] = []
    try {
      for (const op of ops) {
        if (op.kind === 'checkpoint') await db.checkpoint()
        else if (op.kind === 'snapshot') {
          const snapshot = db.snapshot()
          held.push({ snapshot, entries: await entriesOf(snapshot), remaining: op.holdFor })
        } else {
          const index = log.issued.length
          log.issued.push(op)
          await issue(db, op)
          log.acknowledged.add(index)
        }
        for (const hold of held) hold.remaining--
        while (held[0] !== undefined && held[0].remaining <= 0) await releaseSnapshot(held.shift()!, log)
      }
      while (held[0] !== undefined) await releaseSnapshot(held.shift()!, log)
    } catch (error) {
      if (!isExpected(error)) log.unexpected.push(error)
      for (const hold of held) hold.snapshot.close()
    }
  })
  await Promise.all(writers)
}

interface HeldSnapshot {
  readonly snapshot: Snapshot
  /** What it showed when taken: it must show exactly this until closed, whatever was written meanwhile. */
  readonly entries: string
  remaining: number
}

async function entriesOf(snapshot: Snapshot): Promise<string> {
  const out: string[] = []
  for await (const [key, value] of snapshot.scan()) out.push(`${decoder.decode(key)}=${decoder.decode(value)}`)
  return out.join('\n')
}

async function releaseSnapshot(hold: HeldSnapshot, log: RunLog): Promise<void> {
  const entries = await entriesOf(hold.snapshot)
  hold.snapshot.close()
  if (entries !== hold.entries) log.unexpected.push(new Error('a snapshot changed while it was open'))
}

const decoder = new TextDecoder()

/** The model: a map from key to value after applying `ops` in order. */
export type Model = Map<string, string>

export function applyWrite(model: Model, op: WriteOp): void {
  if (op.kind === 'put') model.set(op.key, op.value)
  else if (op.kind === 'del') model.delete(op.key)
  else for (const item of op.ops) item.type === 'put' ? model.set(String(item.key), String(item.value)) : model.delete(String(item.key))
}
