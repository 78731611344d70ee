import type { BTree } from '@tinydb/kv'
import type { Pager } from '@tinydb/pager'
import {
  applyOperations,
  checkIntegrity,
  checkpoint,
  decodeBatch,
  encodeBatch,
  type CheckOptions,
  type CheckReport,
  type RecoveryReport,
  type StoreLayout,
} from '@tinydb/recovery'
import { TinyDbError, type Vfs, type VfsLock } from '@tinydb/vfs'
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
import { backupSnapshot, type BackupProgress, type BackupReport } from './backup.js'
import { ScanIterator } from './scan-iterator.js'
import { DbSnapshot } from './snapshot.js'
import { SnapshotRegistry } from './snapshot-registry.js'
import { DbTransaction } from './transaction.js'
import type { BatchOperation, Bytes, Db, DbStats, ScanOptions, Snapshot, Transaction } from './types.js'
import { WriteGate } from './write-gate.js'

export interface DbParts {
  readonly vfs: Vfs
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

/**
 * Pages modified since the last checkpoint may take this share of `cacheSize` before one starts.
 * Half, not less: a checkpoint rewrites every page modified since the last, so the longer between
 * two, the fewer rewrites of the same hot pages (compare's W3, 100,000 random puts over 6,000
 * leaves: a quarter meant six checkpoints during the run and 90k puts/s, half none and 185k, the
 * whole tree then written once when the writes stop). The other half is the room writers keep
 * while a checkpoint runs, before they stall.
 */
const DIRTY_SHARE_OF_CACHE = 0.5
/**
 * Past this share, new writes wait for the running checkpoint (a write stall): writers faster than
 * the disk would otherwise dirty pages faster than checkpoints can write them, without bound.
 */
const DIRTY_STALL_SHARE_OF_CACHE = 1
/**
 * When writes stop (see WRITES_STOPPED_AFTER_MS) with at least this share of `cacheSize` modified
 * since the last seal, a checkpoint is sealed at once, even behind one still being written (the
 * pager queues it, or folds it into a queued one that has not started): the pages reach the disk
 * while the application does something else — NodeVfs writes them from a worker thread, however
 * busy the JavaScript thread is — and `close` finds nothing left to write (issue 3's compare: close
 * after the reads of W4 and W5). The share keeps a writer that stops after a few small puts from
 * paying a checkpoint's two fdatasyncs each time.
 */
const IDLE_SEAL_SHARE_OF_CACHE = 1 / 64
/**
 * Writes have stopped when none has been in flight for this long. Checked by a timer, and at every
 * read: a caller that goes on to synchronous reads never lets a timer fire, and its reads are where
 * the store learns that writing is over. Not at every pause between writes: a checkpoint sealed
 * between two batches of a bulk load (or two commit groups) only competes with the next one for the
 * disk — frequent small checkpoints, each two fdatasyncs, cut W2 to a third.
 */
const WRITES_STOPPED_AFTER_MS = 10

/**
 * A scan iterator dropped before it finished (no `return()`, e.g. an abandoned manual `next()`
 * loop) would hold its snapshot until the store closes; once the iterator is garbage, release it.
 */
const abandonedScans = new FinalizationRegistry<() => void>((release) => release())

/**
 * The composition of the layers. Write path: validate, encode one log record, append it (group
 * commit; durable when the append resolves), then apply it to the tree. Invariant 2 (visible only
 * when durable) holds because the tree is the only thing readers see and a record reaches it only
 * after its append resolved; the apply is synchronous, so readers never see half a batch.
 *
 * Isolation: writes pass the write gate (write-gate.ts) — plain writes together, a transaction
 * alone — so transactions are serializable; readers never wait for it: snapshots (and every scan)
 * read frozen pages the writer copies around (see TreeSnapshot).
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
  /** When the last write finished with none left in flight; 0 while writes are in flight, or once their stop was seen. */
  private writesDrainedAt = 0
  private writesStoppedTimer: ReturnType<typeof setTimeout> | undefined
  /**
   * Settles when the newest checkpoint sealed is durable and its log dropped (checkpoints commit in
   * seal order, so every earlier one is too); undefined when none is outstanding.
   */
  private newestCheckpoint: Promise<void> | undefined
  /** The LSN the newest seal covers: the last checkpoint's, until one is sealed. */
  private sealedLsn: number
  /** The checkpoint id at open: `meta.checkpointId` minus this is how many completed since. */
  private readonly openedAtCheckpoint: number
  private readonly counts = { puts: 0, dels: 0, batches: 0, transactions: 0 }
  private readonly gate = new WriteGate()
  private readonly snapshots = new SnapshotRegistry()

  constructor(parts: DbParts) {
    this.parts = parts
    this.dir = parts.layout.dir
    this.recovery = parts.recovery
    this.appliedLsn = parts.recovery.lastLsn
    this.sealedLsn = parts.pager.meta.checkpointLsn
    this.openedAtCheckpoint = parts.pager.meta.checkpointId
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
    this.noticeRead()
    return this.parts.tree.get(toKey(key, this.parts.limits))
  }

  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]> {
    this.assertReadable()
    this.noticeRead()
    const { range, limit } = toKeyRange(options)
    const tree = this.parts.tree.snapshot()
    const id = this.snapshots.add(tree, 'scan')
    const release = (): void => this.snapshots.release(id)
    // toKeyRange has checked the bounds and the snapshot is new: creating the cursor cannot throw.
    const iterator = new ScanIterator(tree.cursor(range), limit, () => this.assertReadable(), () => {
      abandonedScans.unregister(iterator)
      release()
    })
    abandonedScans.register(iterator, release, iterator)
    return iterator
  }

  snapshot(): Snapshot {
    this.assertReadable()
    this.noticeRead()
    const tree = this.parts.tree.snapshot()
    const id = this.snapshots.add(tree, 'snapshot')
    return new DbSnapshot(tree, this.parts.limits, () => this.assertReadable(), () => this.snapshots.release(id))
  }

  async backup(dest: string, options: { readonly onProgress?: (progress: BackupProgress) => void } = {}): Promise<BackupReport> {
    const snapshot = this.snapshot()
    try {
      const { onProgress } = options
      return await backupSnapshot(snapshot, dest, {
        vfs: this.parts.vfs,
        pageSize: this.parts.pager.pageSize,
        ...(onProgress === undefined ? {} : { onProgress }),
      })
    } finally {
      snapshot.close()
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    this.assertWritable()
    if (typeof fn !== 'function') throw new TinyDbError('INVALID_ARGUMENT', 'transaction expects a function (tx) => …')
    this.writeStarted()
    try {
      await this.gate.enterExclusive()
      try {
        const tx = new DbTransaction(this.parts.tree, this.parts.limits, () => this.assertReadable())
        let result: T
        let operations: ValidatedOperation[]
        try {
          result = await fn(tx)
        } finally {
          operations = tx.end()
        }
        if (operations.length > 0) await this.commit(operations, true)
        this.counts.transactions++
        return result
      } finally {
        this.gate.leaveExclusive()
      }
    } finally {
      this.writeFinished()
    }
  }

  async checkpoint(): Promise<void> {
    this.assertWritable()
    await this.runCheckpoint()
  }

  async check(options: CheckOptions = {}): Promise<CheckReport> {
    this.assertReadable()
    const { pager, wal, tree, layout } = this.parts
    return checkIntegrity({ pager, wal, tree, dataPath: layout.dataPath, walDir: layout.walDir }, options)
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
      tree: { depth: tree.depth(), rootPageId: tree.rootPageId },
      wal: {
        nextLsn: wal.nextLsn,
        appliedLsn: this.appliedLsn,
        bytesSinceCheckpoint: wal.bytesSince(pager.meta.checkpointLsn),
        groups: wal.groupStats,
      },
      checkpoints: {
        completed: pager.meta.checkpointId - this.openedAtCheckpoint,
        running: this.newestCheckpoint !== undefined,
        lastCheckpointLsn: pager.meta.checkpointLsn,
        lastCheckpointId: pager.meta.checkpointId,
      },
      writes: { ...this.counts },
      snapshots: { open: this.snapshots.list(), retainedPages: pagerStats.retainedPages },
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
      if (this.failure === undefined) {
        if (this.unsealedChanges()) this.sealCheckpoint()
        // Closing the pager now (it waits for the checkpoints queued) spares their completion the
        // cache bookkeeping nobody will use: ~3 ms of cold code after a large one.
        const pagerClosed = pager.close()
        try {
          await this.newestCheckpoint
        } finally {
          await pagerClosed
        }
      }
    } finally {
      this.snapshots.releaseAll()
      // Release in reverse order of acquisition, whatever failed above: the next open must not find
      // the directory locked by a store that is gone.
      await wal.close().catch(() => undefined)
      await pager.close().catch(() => undefined)
      await lock.release()
      this.lifecycle = 'closed'
    }
  }

  /**
   * Logs `operations` as one record, then applies it. A plain write (`holdsGate` false) first
   * enters the write gate shared, so it waits while a transaction holds it; a transaction's own
   * commit already holds it alone.
   */
  private async commit(operations: readonly ValidatedOperation[], holdsGate = false): Promise<void> {
    const payload = encodeBatch(operations)
    if (payload.length > this.parts.limits.maxBatchSize) {
      throw new TinyDbError('TOO_LARGE', `a batch of ${payload.length} encoded bytes exceeds the limit of ${this.parts.limits.maxBatchSize} bytes`)
    }
    this.writeStarted()
    try {
      const admitted = holdsGate ? undefined : this.gate.enterShared()
      if (admitted !== undefined) await admitted
      try {
        while (this.newestCheckpoint !== undefined && this.dirtyBytes() >= this.parts.options.cacheSize * DIRTY_STALL_SHARE_OF_CACHE) {
          await this.newestCheckpoint.catch(() => undefined)
        }
        const lsn = await this.parts.wal.append(payload)
        this.apply(lsn, payload)
      } finally {
        if (!holdsGate) this.gate.leaveShared()
      }
    } finally {
      this.writeFinished()
    }
  }

  private writeStarted(): void {
    this.writesInFlight++
    this.writesDrainedAt = 0
  }

  private writeFinished(): void {
    if (--this.writesInFlight > 0) return
    this.writesDrained?.()
    this.writesDrainedAt = performance.now()
    if (this.writesStoppedTimer === undefined) this.armWritesStoppedTimer(WRITES_STOPPED_AFTER_MS)
  }

  private armWritesStoppedTimer(ms: number): void {
    this.writesStoppedTimer = setTimeout(this.onWritesStoppedTimer, ms)
    // A pending check must not keep the process alive.
    this.writesStoppedTimer.unref()
  }

  private readonly onWritesStoppedTimer = (): void => {
    this.writesStoppedTimer = undefined
    if (this.writesDrainedAt === 0) return
    const left = WRITES_STOPPED_AFTER_MS - (performance.now() - this.writesDrainedAt)
    if (left > 0) this.armWritesStoppedTimer(left)
    else this.writesStopped()
  }

  /** At every read: a plain field test until writes drain, then a clock read until their stop is seen. */
  private noticeRead(): void {
    if (this.writesDrainedAt !== 0 && performance.now() - this.writesDrainedAt >= WRITES_STOPPED_AFTER_MS) this.writesStopped()
  }

  private writesStopped(): void {
    this.writesDrainedAt = 0
    if (this.writesInFlight > 0 || this.lifecycle !== 'open' || this.failure !== undefined) return
    const { pager, options } = this.parts
    const unsealedBytes = pager.unsealedPages * pager.pageSize
    if (unsealedBytes > 0 && unsealedBytes >= options.cacheSize * IDLE_SEAL_SHARE_OF_CACHE) this.sealCheckpoint()
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
    if (this.lifecycle !== 'open' || this.failure !== undefined || this.newestCheckpoint !== undefined) return
    const { wal, pager, options } = this.parts
    // Two things grow between checkpoints: the log, and the pages modified since the last one,
    // which stay in memory until a checkpoint writes them. Either one past its bound starts a
    // checkpoint, so random writes over a large tree cannot hold gigabytes of dirty pages.
    const logBytes = wal.bytesSince(pager.meta.checkpointLsn)
    if (logBytes < options.checkpointThreshold && this.dirtyBytes() < options.cacheSize * DIRTY_SHARE_OF_CACHE) return
    this.sealCheckpoint()
  }

  private dirtyBytes(): number {
    return this.parts.pager.dirtyPages * this.parts.pager.pageSize
  }

  /**
   * Seals the tree as of `appliedLsn` — synchronously, between two applies, as `checkpoint`
   * requires — and lets it commit in the background, as `newestCheckpoint`. A failure poisons
   * writes; nobody need await it for that.
   */
  private sealCheckpoint(): void {
    const { pager, wal, tree } = this.parts
    // Sealed with other writes in flight (concurrent writers): their commits keep completing while
    // the pager prepares its writes. A lone writer gains nothing by it: no other commit waits, and a
    // bulk load turns the event loop once a batch, so the writes would only start later while
    // modified pages pile up.
    const incremental = this.writesInFlight > 1
    const running = checkpoint({ pager, wal, tree }, this.appliedLsn, { dropLog: () => this.lifecycle === 'open', incremental }).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= new TinyDbError('POISONED', `a checkpoint failed; writes are refused until the store is reopened`, { cause: error })
        throw error
      },
    )
    this.sealedLsn = this.appliedLsn
    this.newestCheckpoint = running
    running
      .catch(() => undefined)
      .then(() => {
        if (this.newestCheckpoint !== running) return
        this.newestCheckpoint = undefined
        // Pages modified while it was written may already be past a bound, or writes may have
        // paused since: write them now, rather than at the next write or at close.
        this.maybeStartCheckpoint()
      })
  }

  /** Makes everything applied so far durable in the data file (explicit checkpoint, close). */
  private async runCheckpoint(): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (this.unsealedChanges()) this.sealCheckpoint()
    await this.newestCheckpoint
  }

  /** Records applied, or pages modified, since the newest seal. */
  private unsealedChanges(): boolean {
    return this.appliedLsn !== this.sealedLsn || this.parts.pager.unsealedPages > 0
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
