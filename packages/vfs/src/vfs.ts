/**
 * The I/O port. Everything TinyDB persists goes through these two small interfaces, so a test can
 * substitute a disk that loses, tears and corrupts writes (`SimVfs`) for the real one (`NodeVfs`).
 *
 * Durability model, shared by every implementation:
 * - `write` makes bytes visible to later reads at once, but not durable.
 * - `sync` (fdatasync) makes the file's written bytes and its size durable.
 * - Creating, renaming and unlinking a file, and creating a directory, are durable only after
 *   `syncDir` on the directory that holds the entry (for `mkdir`, the parent).
 * Anything not yet durable may be lost, or (for writes) torn at 512-byte sector granularity, by a
 * crash.
 */
export interface VfsFile {
  /** The path this file was opened with. */
  readonly path: string
  /**
   * Reads into `buffer` from `position`; returns the number of bytes read, which is less than
   * `buffer.length` only at end of file. Synchronous on purpose: page reads are small and usually
   * served by the OS page cache, and a read path without promises is what makes lookups fast.
   */
  readSync(buffer: Uint8Array, position: number): number
  /** The asynchronous form of `readSync`, for large sequential reads (log replay). */
  read(buffer: Uint8Array, position: number): Promise<number>
  /** Writes all of `buffer` at `position`, extending the file when needed. */
  write(buffer: Uint8Array, position: number): Promise<void>
  /**
   * `write` on the calling thread: returns once the bytes are written (on a `dsync` handle, once
   * they are durable), and blocks the whole JavaScript thread meanwhile. Same semantics, errors and
   * crash behaviour as `write`; it saves the thread-pool round trip, which costs more than a small
   * write to a fast disk, and costs every other caller of the process the device's whole latency
   * on a slow one. Throws (synchronously) what `write` would reject with.
   */
  writeSync(buffer: Uint8Array, position: number): void
  /**
   * Writes `buffers` back to back from `position`, exactly as `write` of their concatenation would:
   * one write (one pwritev on a real disk), with the same durability, errors and crash and tear
   * behaviour. It exists so a run of adjacent pages, each its own image, reaches the disk in one
   * system call without first being copied into a staging buffer. An empty list, or only empty
   * buffers, writes nothing.
   */
  writev(buffers: readonly Uint8Array[], position: number): Promise<void>
  /** Current size in bytes (including writes not yet synced). */
  size(): Promise<number>
  /** Sets the size; growing fills with zeros. Durable after `sync`. */
  truncate(size: number): Promise<void>
  /** fdatasync: written bytes and the file size become durable. */
  sync(): Promise<void>
  /**
   * Queues `steps` to be made durable in the background: each step's writes (in any order among
   * themselves), then, when `minimumSize` is set and the file is shorter, growing it to that size,
   * then fdatasync; then the next step. Sequences queued on one file run one after another, in the
   * order queued. It exists so that a large write-then-sync protocol (a checkpoint) progresses
   * while the JavaScript thread is busy: `NodeVfs` runs it on a worker thread, and bytes that live
   * in `SharedArrayBuffer` memory are written from where they are (others are copied once, here).
   *
   * The caller must leave the buffers unchanged until `done` settles, and must not write the same
   * bytes through other calls meanwhile. A failure rejects `done` with what `write`, `truncate` or
   * `sync` would have thrown, and poisons the queue (fsyncgate: after a failed fdatasync the kernel
   * may have dropped dirty pages, so "succeeding" later would be a lie): every sequence queued on
   * the file after it rejects with `POISONED`, without any I/O. `close` waits for queued sequences.
   */
  queueDurable(steps: readonly DurableStep[]): QueuedDurable
  close(): Promise<void>
}

/** Bytes to put at `position`: `buffers` back to back, as one `writev` would. */
export interface QueuedWrite {
  readonly position: number
  readonly buffers: readonly Uint8Array[]
}

/** One step of `VfsFile.queueDurable`: writes, then the size, then fdatasync. */
export interface DurableStep {
  readonly writes: readonly QueuedWrite[]
  /** When set and the file is shorter, it grows (zero-filled) to this size before the fdatasync. */
  readonly minimumSize?: number
}

/** A sequence queued by `VfsFile.queueDurable`. */
export interface QueuedDurable {
  /**
   * `'durable'` once the last step's fdatasync returned, `'cancelled'` after a successful `cancel`;
   * rejects with the first failure.
   */
  readonly done: Promise<'durable' | 'cancelled'>
  /**
   * True once the last step's fdatasync has returned — possibly before `done` resolves, which takes
   * a turn of the event loop (a message from NodeVfs's worker): for a caller that must not wait for
   * one, such as a close that would otherwise sit behind whatever the loop runs first.
   */
  isDurable(): boolean
  /**
   * Withdraws the sequence if none of its I/O has started: returns true, and `done` resolves
   * `'cancelled'`. Returns false once it has started (or settled): then it runs to its end.
   * Synchronous, so a caller can decide on the spot whether to fold the sequence into a later one.
   */
  cancel(): boolean
}

export interface OpenOptions {
  /** Create the file if it does not exist (default false: a missing file is an `IO` error). */
  readonly create?: boolean
  /**
   * Every `write` through this handle is durable when it resolves, as if followed by `sync`
   * (O_DSYNC): one system call, and one trip through Node's thread pool, instead of two. A write
   * that fails may have been partly written, like a failed write followed by a failed sync.
   */
  readonly dsync?: boolean
}

/** An exclusive lock on a path, held until `release` or until the holding process dies. */
export interface VfsLock {
  release(): Promise<void>
}

export interface Vfs {
  open(path: string, options?: OpenOptions): Promise<VfsFile>
  exists(path: string): Promise<boolean>
  /** Names (not paths) of the entries of `dir`, sorted. */
  readdir(dir: string): Promise<string[]>
  /** Creates `dir` and its missing parents. */
  mkdir(dir: string): Promise<void>
  unlink(path: string): Promise<void>
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>
  /** Makes creations, renames and unlinks of entries in `dir` durable. */
  syncDir(dir: string): Promise<void>
  /**
   * Takes the exclusive lock `path`, or throws `TinyDbError` `LOCKED` when a live holder (another
   * process, or another open in this process) has it. A lock left by a dead process is taken over.
   */
  lock(path: string): Promise<VfsLock>
}
