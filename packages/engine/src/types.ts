import type { Vfs } from '@tinydb/vfs'
import type { RecoveryReport, CheckReport } from '@tinydb/recovery'

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
   * Bytes of clean pages kept in memory. Default 64 MiB. Pages modified since the last checkpoint
   * are held in memory too; once they take a quarter of this, a background checkpoint writes them.
   */
  readonly cacheSize?: number
  /** Log bytes written since the last checkpoint that start a background checkpoint. Default 64 MiB. */
  readonly checkpointThreshold?: number
  /** Size of one log segment file. Default 8 MiB. */
  readonly walSegmentSize?: number
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
  }
  readonly checkpoints: {
    readonly completed: number
    readonly running: boolean
    readonly lastCheckpointLsn: number
    readonly lastCheckpointId: number
  }
  readonly writes: { readonly puts: number; readonly dels: number; readonly batches: number }
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
  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]>
  checkpoint(): Promise<void>
  check(): Promise<CheckReport>
  stats(): DbStats
  close(): Promise<void>
}
