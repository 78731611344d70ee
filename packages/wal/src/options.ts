import { performance } from 'node:perf_hooks'
import { TinyDbError } from '@tinydb/vfs'
import { COMMIT_WRITES, type CommitWrites } from './commit-write-policy.js'
import { MAX_FRAME_PAYLOAD } from './frame-format.js'
import { SEGMENT_HEADER_SIZE } from './segment-format.js'

export interface WalOptions {
  /**
   * Bytes per segment file, default 8 MiB. Segments are preallocated (written with zeros) to this
   * size, except the first ones of each open: 1 MiB (or this, if smaller), then twice the previous,
   * so that creating a log or the first append after opening one does not wait for a whole
   * segment of zeros. A commit group larger than its segment gets a segment of its own size.
   */
  readonly segmentSize?: number
  /**
   * 'sync' (default): `append` resolves after fdatasync — the record survives a power cut.
   * 'none': `append` resolves once the OS has the bytes — the record survives a crash of the process,
   * not of the machine.
   */
  readonly durability?: 'sync' | 'none'
  /** Largest payload `append` accepts, default 64 MiB (at most 1 GiB); larger is `TOO_LARGE`. */
  readonly maxRecordSize?: number
  /**
   * How a commit group's write reaches the disk (see `CommitWrites`): 'auto' (default) writes groups
   * of up to 64 KiB on the JavaScript thread while the disk takes under 1 ms for them and nothing
   * else in the process waits for the thread, else on the thread pool; 'inline' always blocks the
   * thread for the write (and, with durability 'sync', the device flush); 'thread-pool' never does.
   * Durability is the same either way.
   */
  readonly commitWrites?: CommitWrites
  /**
   * The clock 'auto' reads to time commit writes and event-loop turns: monotonic milliseconds,
   * default `performance.now`. Only those decisions read it, never durability or order. A
   * simulation passes its own so that where each group is written depends on the seed alone, as
   * SQLite's VFS supplies `xCurrentTime` and LevelDB's `Env` supplies `NowMicros`. It is called
   * with no receiver: pass `performance.now.bind(performance)`, not `performance.now`.
   */
  readonly clock?: () => number
}

export interface ResolvedWalOptions {
  readonly segmentSize: number
  readonly durability: 'sync' | 'none'
  readonly maxRecordSize: number
  readonly commitWrites: CommitWrites
  readonly clock: () => number
}

const MiB = 1024 * 1024
export const DEFAULT_SEGMENT_SIZE = 8 * MiB
export const DEFAULT_MAX_RECORD_SIZE = 64 * MiB
/** Smallest segment: room for the header and a few small frames. */
export const MIN_SEGMENT_SIZE = SEGMENT_HEADER_SIZE + 96

export function resolveWalOptions(options: WalOptions | undefined): ResolvedWalOptions {
  const segmentSize = integerOption(options?.segmentSize, DEFAULT_SEGMENT_SIZE, 'segmentSize', MIN_SEGMENT_SIZE, 2 ** 40)
  const maxRecordSize = integerOption(options?.maxRecordSize, DEFAULT_MAX_RECORD_SIZE, 'maxRecordSize', 0, MAX_FRAME_PAYLOAD)
  const durability = options?.durability ?? 'sync'
  if (durability !== 'sync' && durability !== 'none') {
    throw new TinyDbError('INVALID_ARGUMENT', `durability must be 'sync' or 'none', got ${String(durability)}`)
  }
  const commitWrites = options?.commitWrites ?? 'auto'
  if (!COMMIT_WRITES.includes(commitWrites)) {
    throw new TinyDbError('INVALID_ARGUMENT', `commitWrites must be one of ${COMMIT_WRITES.map((mode) => `'${mode}'`).join(', ')}, got ${String(commitWrites)}`)
  }
  const clock = options?.clock ?? performanceClock
  checkClock(clock)
  return { segmentSize, durability, maxRecordSize, commitWrites, clock }
}

const performanceClock = (): number => performance.now()

/** A clock that cannot be read fails at open, not at some later commit that would be rejected for it. */
function checkClock(clock: unknown): asserts clock is () => number {
  let reading: unknown
  try {
    reading = typeof clock === 'function' ? (clock as () => unknown)() : undefined
  } catch (error) {
    throw new TinyDbError('INVALID_ARGUMENT', `clock threw when read (pass a bound function, e.g. performance.now.bind(performance)): ${String(error)}`)
  }
  if (typeof reading !== 'number' || !Number.isFinite(reading)) {
    throw new TinyDbError('INVALID_ARGUMENT', `clock must be a function returning finite milliseconds, got ${typeof clock === 'function' ? `a reading of ${String(reading)}` : typeof clock}`)
  }
}

function integerOption(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TinyDbError('INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}
