import { QUEUED } from './durable-protocol.js'

/** Memories kept for reuse; a checkpoint has at most a few sequences in flight. */
const MAX_POOLED = 4
/** The smallest memory made: a state word, a short layout and a meta page's copy. */
const MIN_BYTES = 16 * 1024

/**
 * Sequences' own memories (durable-protocol.ts), reused once the worker is done with them.
 *
 * Why: a new SharedArrayBuffer per sequence is freed only when both threads have collected their
 * handles to it, and the worker allocates so little that it collects rarely — so the memories of
 * hundreds of checkpoints stayed alive (each holds the layout, ~40 bytes per page written, and
 * copies of the free-list pages and the meta: hundreds of KiB); loading 4 M keys held ~35 MB
 * of them. Reused, they are the few largest sequences in flight at once.
 *
 * A memory comes back only when the worker reported the sequence's end: before that the worker may
 * still read it, and a cancelled sequence's memory never comes back at all — the worker reads its
 * state word when it reaches it, and must find CANCELLED there, not a later sequence's QUEUED.
 */
export class StagingPool {
  private readonly free: SharedArrayBuffer[] = []

  /** A memory of at least `needed` bytes, its state word QUEUED. */
  take(needed: number): SharedArrayBuffer {
    let best = -1
    for (let index = 0; index < this.free.length; index++) {
      const length = this.free[index]!.byteLength
      if (length >= needed && (best < 0 || length < this.free[best]!.byteLength)) best = index
    }
    if (best < 0) return new SharedArrayBuffer(Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(needed))))
    const memory = this.free.splice(best, 1)[0]!
    new Int32Array(memory, 0, 1)[0] = QUEUED
    return memory
  }

  /** Returns a memory the worker is done with; the smallest is dropped when the pool is full. */
  give(memory: SharedArrayBuffer): void {
    this.free.push(memory)
    if (this.free.length <= MAX_POOLED) return
    let smallest = 0
    for (let index = 1; index < this.free.length; index++) if (this.free[index]!.byteLength < this.free[smallest]!.byteLength) smallest = index
    this.free.splice(smallest, 1)
  }

  /** Memories waiting (for tests). */
  get size(): number {
    return this.free.length
  }
}
