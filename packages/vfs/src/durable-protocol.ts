/**
 * What the main thread and the durable-write worker (durable-worker-source.ts) say to each other.
 * The worker is a source string that cannot import, so it gets these constants interpolated.
 *
 * Each sequence owns one SharedArrayBuffer, its memory 0: an Int32 state word at byte 0; from byte
 * `LAYOUT_START`, the sequence's layout (below), `layoutSlots` doubles; right after it, the copies
 * of the caller's ordinary (not shared) buffers. Nothing else is allocated per sequence, so memory
 * 0 can be reused (staging-pool.ts) — a layout transferred on its own lived on in the worker,
 * which collects rarely, for hundreds of checkpoints. The state word is
 * the only thing both threads change: main moves it QUEUED → CANCELLED, the worker QUEUED → RUNNING,
 * each with one compareExchange, so exactly one of them wins and a sequence is cancelled only if
 * none of its I/O has started; the worker then stores DURABLE when the sequence is.
 */
export const QUEUED = 0
export const RUNNING = 1
export const CANCELLED = 2
/** Stored by the worker once the last step's fdatasync returned, before it reports: see `QueuedDurable.isDurable`. */
export const DURABLE = 3

/** The layout starts here, past the state word: 8, as a Float64Array's offset must be. */
export const LAYOUT_START = 8

/** Where a sequence's staged bytes start in its memory 0, after a layout of `layoutSlots` slots. */
export function stagingStart(layoutSlots: number): number {
  return LAYOUT_START + 8 * layoutSlots
}

/** `minimumSize` slot of a step that has none (sizes are non-negative). */
export const NO_MINIMUM_SIZE = -1

/*
 * The layout: a sequence, flat, as doubles in its memory 0 (positions and sizes are safe integers,
 * exact as doubles), so thousands of writes cost no object each, and nothing to clone:
 *
 *   stepCount,
 *   per step:   minimumSize (or NO_MINIMUM_SIZE), writeCount,
 *   per write:  position, bufferCount,
 *   per buffer: memory index, byteOffset, byteLength
 */

export interface RunMessage {
  readonly kind: 'run'
  /** Unique per process, across worker restarts: a report names the sequence it is about. */
  readonly seq: number
  /** Unique per opened file: what the worker poisons after a failure (fd numbers are reused). */
  readonly file: number
  readonly fd: number
  /** [0] is the sequence's own memory (see above); then each distinct SharedArrayBuffer of the caller's. */
  readonly memories: readonly SharedArrayBuffer[]
  /** How many doubles of memory 0, from `LAYOUT_START`, the layout takes. */
  readonly layoutSlots: number
}

/** The file is closed: the worker drops its poison mark. */
export interface ForgetMessage {
  readonly kind: 'forget'
  readonly file: number
}

export type ToWorker = RunMessage | ForgetMessage

/** The operation a failed sequence was in, named as the plain calls name it in their errors. */
export type FailedOperation = 'write' | 'stat' | 'truncate' | 'fdatasync'

export type WorkerReport =
  | { readonly seq: number; readonly outcome: 'durable' | 'cancelled' | 'poisoned' }
  | {
      readonly seq: number
      readonly outcome: 'failed'
      readonly operation: FailedOperation
      /** The fields of Node's errno error, so the main thread can rebuild an error that looks the same. */
      readonly message: string
      readonly code: string | undefined
      readonly errno: number | undefined
      readonly syscall: string | undefined
    }
