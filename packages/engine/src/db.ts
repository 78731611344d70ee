import type { BTree } from '@tinydb/kv'
import type { Pager } from '@tinydb/pager'
import {
  applyOperations,
  checkIntegrity,
  checkpoint,
  decodeBatch,
  encodeBatch,
  type CheckReport,
  type RecoveryReport,
  type StoreLayout,
} from '@tinydb/recovery'
import { TinyDbError, type VfsLock } from '@tinydb/vfs'
import type { Wal } from '@tinydb/wal'
import {
  toKey,
  toKeyRange,
  toOperations,
  toValue,
  type Limits,
  type ResolvedOptions,
  type ValidatedOperation,
} from './arguments.js'
import { ScanIterator } from './scan-iterator.js'
import type { BatchOperation, Bytes, Db, DbStats, ScanOptions } from './types.js'

export interface DbParts {
  readonly layout: StoreLayout
  readonly lock: VfsLock
  readonly pager: Pager
  readonly wal: Wal
  readonly tree: BTree
  readonly limits: Limits
  readonly options: ResolvedOptions
  readonly recovery: RecoveryReport
}

type Lifecycle = 'open' | 'closing' | 'closed'

/** Pages modified since the last checkpoint may take this share of `cacheSize` before one starts. */
const DIRTY_SHARE_OF_CACHE = 0.25
/**
 * Past this share, new writes wait for the running checkpoint (a write stall): writers faster than
 * the disk would otherwise dirty pages faster than checkpoints can write them, without bound.
 */
const DIRTY_STALL_SHARE_OF_CACHE = 1

/**
 * The composition of the layers. Write path: validate, encode one log record, append it (group
 * commit; durable when the append resolves), then apply it to the tree. Invariant 2 (visible only
 * when durable) holds because the tree is the only thing readers see and a record reaches it only
 * after its append resolved; the apply is synchronous, so readers never see half a batch.
 */
export class TinyDb implements Db {
  readonly dir: string
  readonly recovery: RecoveryReport
  private readonly parts: DbParts
  private lifecycle: Lifecycle = 'open'
  private closing: Promise<void> | undefined
  // Set when the store can no longer take writes: a failed checkpoint, or a durable record that
  // could not be applied. Reads go on; writes get this error until the store is reopened.
  private failure: TinyDbError | undefined
  // Set when a durable record could not be applied in full (e.g. a page read failed half-way through
  // a B+tree mutation). The in-memory tree may then be half-modified, so reads are refused too: a
  // reader must never see a state that is not a prefix of the log (invariant 4). Reopening replays it.
  private treeFailure: TinyDbError | undefined
  private appliedLsn: number
  private writesInFlight = 0
  private writesDrained: (() => void) | undefined
  private runningCheckpoint: Promise<void> | undefined
  private checkpointsCompleted = 0
  private readonly counts = { puts: 0, dels: 0, batches: 0 }

  constructor(parts: DbParts) {
    this.parts = parts
    this.dir = parts.layout.dir
    this.recovery = parts.recovery
    this.appliedLsn = parts.recovery.lastLsn
  }

  async put(key: Bytes, value: Bytes): Promise<void> {
    this.assertWritable()
    const operation: ValidatedOperation = { type: 'put', key: toKey(key, this.parts.limits), value: toValue(value, this.parts.limits) }
    await this.commit([operation])
    this.counts.puts++
  }

  async del(key: Bytes): Promise<void> {
    this.assertWritable()
    await this.commit([{ type: 'del', key: toKey(key, this.parts.limits) }])
    this.counts.dels++
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.assertWritable()
    const validated = toOperations(operations, this.parts.limits)
    if (validated.length === 0) return
    await this.commit(validated)
    this.counts.batches++
  }

  async get(key: Bytes): Promise<Uint8Array | undefined> {
    return this.getSync(key)
  }

  getSync(key: Bytes): Uint8Array | undefined {
    this.assertReadable()
    return this.parts.tree.get(toKey(key, this.parts.limits))
  }

  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]> {
    this.assertReadable()
    const { range, limit } = toKeyRange(options)
    // The cursor re-seeks after the last key it returned whenever the tree changed between two
    // steps, so a scan running alongside writes never skips or repeats a key (see ScanIterator).
    return new ScanIterator(this.parts.tree.cursor(range), limit, () => this.assertReadable())
  }

  async checkpoint(): Promise<void> {
    this.assertWritable()
    await this.runCheckpoint()
  }

  async check(): Promise<CheckReport> {
    this.assertReadable()
    const { pager, wal, tree, layout } = this.parts
    return checkIntegrity({ pager, wal, tree, dataPath: layout.dataPath, walDir: layout.walDir })
  }

  stats(): DbStats {
    this.assertReadable()
    const { pager, wal, tree, options } = this.parts
    const pagerStats = pager.stats()
    return {
      dir: this.dir,
      durability: options.durability,
      pageSize: pager.pageSize,
      pageCount: pagerStats.pageCount,
      freePages: pagerStats.freePages,
      dirtyPages: pagerStats.dirtyPages,
      cache: { pages: pagerStats.cachedPages, hits: pagerStats.cacheHits, misses: pagerStats.cacheMisses },
      tree: { depth: tree.stats().depth, rootPageId: tree.rootPageId },
      wal: {
        nextLsn: wal.nextLsn,
        appliedLsn: this.appliedLsn,
        bytesSinceCheckpoint: wal.bytesSince(pager.meta.checkpointLsn),
      },
      checkpoints: {
        completed: this.checkpointsCompleted,
        running: this.runningCheckpoint !== undefined,
        lastCheckpointLsn: pager.meta.checkpointLsn,
        lastCheckpointId: pager.meta.checkpointId,
      },
      writes: { ...this.counts },
      recovery: this.recovery,
    }
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce()
    return this.closing
  }

  private async closeOnce(): Promise<void> {
    this.lifecycle = 'closing'
    const { wal, pager, lock } = this.parts
    try {
      if (this.writesInFlight > 0) await new Promise<void>((resolve) => (this.writesDrained = resolve))
      if (this.failure === undefined) await this.runCheckpoint()
    } finally {
      // Release in reverse order of acquisition, whatever failed above: the next open must not find
      // the directory locked by a store that is gone.
      await wal.close().catch(() => undefined)
      await pager.close().catch(() => undefined)
      await lock.release()
      this.lifecycle = 'closed'
    }
  }

  private async commit(operations: readonly ValidatedOperation[]): Promise<void> {
    const payload = encodeBatch(operations)
    if (payload.length > this.parts.limits.maxBatchSize) {
      throw new TinyDbError('TOO_LARGE', `a batch of ${payload.length} encoded bytes exceeds the limit of ${this.parts.limits.maxBatchSize} bytes`)
    }
    this.writesInFlight++
    try {
      while (this.runningCheckpoint !== undefined && this.dirtyBytes() >= this.parts.options.cacheSize * DIRTY_STALL_SHARE_OF_CACHE) {
        await this.runningCheckpoint.catch(() => undefined)
      }
      const lsn = await this.parts.wal.append(payload)
      this.apply(lsn, payload)
    } finally {
      if (--this.writesInFlight === 0) this.writesDrained?.()
    }
  }

  /**
   * Appends resolve in LSN order (one group at a time, its promises in order), so records reach the
   * tree in log order and the tree always equals a replay of a prefix of the log.
   */
  private apply(lsn: number, payload: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure
    if (lsn !== this.appliedLsn + 1) {
      this.failure = new TinyDbError('POISONED', `log record ${lsn} became durable before record ${this.appliedLsn + 1} was applied`)
      throw this.failure
    }
    try {
      applyOperations(this.parts.tree, decodeBatch(payload, { file: this.parts.layout.walDir, lsn }))
    } catch (error) {
      this.failure = new TinyDbError('POISONED', `a durable log record (lsn ${lsn}) could not be applied; reopen to recover`, { cause: error })
      this.treeFailure = this.failure
      throw TinyDbError.isInstance(error) ? error : this.failure
    }
    this.appliedLsn = lsn
    this.maybeStartCheckpoint()
  }

  private maybeStartCheckpoint(): void {
    if (this.runningCheckpoint !== undefined || this.lifecycle !== 'open') return
    const { wal, pager, options } = this.parts
    // Two things grow between checkpoints: the log, and the pages modified since the last one,
    // which stay in memory until a checkpoint writes them. Either one past its bound starts a
    // checkpoint, so random writes over a large tree cannot hold gigabytes of dirty pages.
    const logBytes = wal.bytesSince(pager.meta.checkpointLsn)
    if (logBytes < options.checkpointThreshold && this.dirtyBytes() < options.cacheSize * DIRTY_SHARE_OF_CACHE) return
    // A failed background checkpoint poisons writes (recorded in runCheckpoint); nobody awaits it here.
    this.runCheckpoint().catch(() => undefined)
  }

  private dirtyBytes(): number {
    return this.parts.pager.stats().dirtyPages * this.parts.pager.pageSize
  }

  private async runCheckpoint(): Promise<void> {
    while (this.runningCheckpoint !== undefined) await this.runningCheckpoint.catch(() => undefined)
    if (this.failure !== undefined) throw this.failure
    const { pager, wal, tree } = this.parts
    if (this.appliedLsn === pager.meta.checkpointLsn && pager.stats().dirtyPages === 0) return
    const running = checkpoint({ pager, wal, tree }, this.appliedLsn).then(
      () => {
        this.checkpointsCompleted++
      },
      (error: unknown) => {
        this.failure = new TinyDbError('POISONED', `a checkpoint failed; writes are refused until the store is reopened`, { cause: error })
        throw error
      },
    )
    this.runningCheckpoint = running
    try {
      await running
    } finally {
      this.runningCheckpoint = undefined
    }
  }

  private assertReadable(): void {
    if (this.lifecycle === 'closed') throw new TinyDbError('CLOSED', `the store at ${this.dir} is closed`)
    if (this.treeFailure !== undefined) {
      throw new TinyDbError('POISONED', `the store at ${this.dir} refuses reads: ${this.treeFailure.message}`, { cause: this.treeFailure })
    }
  }

  private assertWritable(): void {
    if (this.lifecycle !== 'open') throw new TinyDbError('CLOSED', `the store at ${this.dir} is closed`)
    if (this.failure !== undefined) {
      throw new TinyDbError('POISONED', `the store at ${this.dir} refuses writes: ${this.failure.message}`, { cause: this.failure })
    }
    // Invariant 7 covers the log too: after its write or fdatasync failed, an explicit checkpoint
    // (which would drop log segments) is refused like any write, not only appends.
    if (this.parts.wal.poisoned) {
      throw new TinyDbError('POISONED', `the store at ${this.dir} refuses writes: a log write or fdatasync failed; reopen to recover`)
    }
  }
}
