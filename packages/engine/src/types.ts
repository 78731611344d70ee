import type { Vfs } from '@tinydb/vfs'
import type { CommitWrites, WalGroupStats } from '@tinydb/wal'
import type { RecoveryReport, CheckOptions, CheckReport } from '@tinydb/recovery'
import type { BackupProgress, BackupReport } from './backup.js'

/** Keys and values: bytes, or strings (stored as their UTF-8 bytes). */
export type Bytes = Uint8Array | string

export type Durability = 'sync' | 'none'

export interface OpenOptions {
  /**
   * `'sync'` (default): a write's promise resolves after its log record is fdatasynced: it survives
   * power loss. `'none'`: it resolves once the OS has the bytes: it survives a crash of the process,
   * not of the machine.
   */
  readonly durability?: Durability
  /** Page size of a new store, a power of two in [512, 65536]; ignored for an existing store. Default 4096. */
  readonly pageSize?: number
  /**
   * Bytes of pages kept in memory, modified and clean together. Default 64 MiB. Pages modified since
   * the last checkpoint stay in memory until one writes them: a background checkpoint starts once
   * they take half of this, or once writes stop (see the README).
   */
  readonly cacheSize?: number
  /** Log bytes written since the last checkpoint that start a background checkpoint. Default 64 MiB. */
  readonly checkpointThreshold?: number
  /**
   * Bytes of pages a checkpoint writes before it fdatasyncs them and goes on; 0: one fdatasync
   * after all of them. Default 256 KiB (0 with durability 'none', whose commits never wait for the
   * disk). The store's durability is the same either way; a smaller value keeps a
   * checkpoint from holding the disk's queue while commits wait to reach the log (see the README, where
   * it explains memory and checkpoints). 0 suits a store alone on its disk that writes in large batches.
   */
  readonly checkpointFlushAfter?: number
  /** Size of one log segment file. Default 8 MiB. */
  readonly walSegmentSize?: number
  /**
   * Where a commit's log write waits for the disk (`@tinydb/wal` README, "Commit writes"): 'auto'
   * blocks the JavaScript thread for a commit group of up to 64 KiB while the disk takes under 1 ms
   * for it and nothing else in the process waits for the thread — faster than a thread-pool round
   * trip — and uses the thread pool otherwise; 'inline' always
   * blocks (nothing else in the process runs during each device flush); 'thread-pool' never does.
   * Durability is the same in every mode. Default: 'auto' with the default `vfs`; 'thread-pool'
   * when `vfs` is given ('auto' measures time, which on a `SimVfs` would make runs unrepeatable).
   */
  readonly commitWrites?: CommitWrites
  /** The I/O port; defaults to the real file system. Tests pass a `SimVfs`. */
  readonly vfs?: Vfs
  /**
   * Called with one line of text for each step of opening and recovery, as it happens (the lock,
   * the page file's checkpoint, the log, the replay, a discarded torn tail): `tinydb recovery
   * --verbose` prints them. For people, not programs: the wording may change.
   */
  readonly onRecoveryStep?: (step: string) => void
}

export type BatchOperation =
  | { readonly type: 'put'; readonly key: Bytes; readonly value: Bytes }
  | { readonly type: 'del'; readonly key: Bytes }

export interface ScanOptions {
  readonly gte?: Bytes
  readonly gt?: Bytes
  readonly lte?: Bytes
  readonly lt?: Bytes
  readonly reverse?: boolean
  /** At most this many entries. */
  readonly limit?: number
}

/** A snapshot a store holds open: `db.snapshot()`, or the one under a running `db.scan()`. */
export interface SnapshotInfo {
  readonly id: number
  readonly kind: 'snapshot' | 'scan'
  /** Milliseconds since it was taken. */
  readonly ageMs: number
  /**
   * Pages freed since it was taken that it keeps from reuse — the file grows by these while it is
   * open (when snapshots overlap, an older one may take over a newer one's pages as it closes).
   */
  readonly retainedPages: number
}

/** A read-only view of the store as it was when `db.snapshot()` was called. */
export interface Snapshot {
  get(key: Bytes): Promise<Uint8Array | undefined>
  getSync(key: Bytes): Uint8Array | undefined
  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]>
  /** Releases the pages it retains; idempotent. Reads afterwards throw CLOSED. */
  close(): void
}

/**
 * The argument of a `db.transaction` callback. Reads see the store as of the transaction's start
 * plus its own writes; writes are buffered and become durable together when the callback resolves.
 * Valid only inside the callback (CLOSED afterwards).
 */
export interface Transaction {
  get(key: Bytes): Promise<Uint8Array | undefined>
  getSync(key: Bytes): Uint8Array | undefined
  /** Sees the writes buffered before the scan started. */
  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]>
  put(key: Bytes, value: Bytes): void
  del(key: Bytes): void
}

export interface DbStats {
  readonly dir: string
  readonly durability: Durability
  readonly pageSize: number
  readonly pageCount: number
  readonly freePages: number
  readonly dirtyPages: number
  readonly cache: { readonly pages: number; readonly hits: number; readonly misses: number }
  readonly tree: { readonly depth: number; readonly rootPageId: number }
  readonly wal: {
    readonly nextLsn: number
    readonly appliedLsn: number
    readonly bytesSinceCheckpoint: number
    /**
     * The commit groups written since open: how many records shared each write, and the time the
     * writes took (`@tinydb/wal` README, `groupStats`). A commit's latency beyond `writeMs / groups`
     * was spent waiting for its turn or in JavaScript.
     */
    readonly groups: WalGroupStats
  }
  readonly checkpoints: {
    readonly completed: number
    readonly running: boolean
    readonly lastCheckpointLsn: number
    readonly lastCheckpointId: number
  }
  readonly writes: { readonly puts: number; readonly dels: number; readonly batches: number; readonly transactions: number }
  readonly snapshots: {
    /** Open snapshots, oldest first: one never closed shows up here with its age and cost. */
    readonly open: readonly SnapshotInfo[]
    /** Pages all of them keep from reuse. */
    readonly retainedPages: number
  }
  readonly recovery: RecoveryReport
}

export interface Db {
  readonly dir: string
  /** What recovery did when this store was opened. */
  readonly recovery: RecoveryReport
  put(key: Bytes, value: Bytes): Promise<void>
  get(key: Bytes): Promise<Uint8Array | undefined>
  /** The same lookup without a promise: served from the page cache or a synchronous page read. */
  getSync(key: Bytes): Uint8Array | undefined
  del(key: Bytes): Promise<void>
  /** Applies all operations or none, as one log record. */
  batch(operations: readonly BatchOperation[]): Promise<void>
  /**
   * Entries in key order from a snapshot taken when the scan starts: concurrent writes never show
   * in it. Its snapshot is released when the iteration ends (or is broken out of).
   */
  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]>
  /** A consistent read-only view; close it when done (an open one keeps freed pages from reuse). */
  snapshot(): Snapshot
  /**
   * Copies the store as of now (a snapshot) to a new store at `dest` (absent or an empty directory),
   * packed and durable, while writes go on. Atomic: after a crash `dest` is absent or complete.
   */
  backup(dest: string, options?: { readonly onProgress?: (progress: BackupProgress) => void }): Promise<BackupReport>
  /**
   * Runs `fn` as one serializable read-write transaction: transactions and all other writes run
   * one at a time in arrival order while it holds the store, its writes commit atomically as one
   * durable log record when `fn` resolves, and nothing is written when `fn` throws. Resolves with
   * `fn`'s result. Do not call the store's own write methods from inside `fn` (they wait for the
   * transaction, which waits for them): use `tx`.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T>
  checkpoint(): Promise<void>
  /**
   * Verifies every reachable page, the page accounting and the log records after the checkpoint,
   * as of the call (writes may go on meanwhile); `onProgress` reports pages, then log records.
   */
  check(options?: CheckOptions): Promise<CheckReport>
  stats(): DbStats
  close(): Promise<void>
}
