export { TinyDbError } from '@tinydb/vfs'
export { Wal } from './wal.js'
export type { WalOptions } from './options.js'
export {
  COMMIT_WRITES,
  CommitWritePolicy,
  BUSY_LOOP_ITERATION_MS,
  INLINE_STRETCH_MS,
  MAX_INLINE_GROUP_BYTES,
  RECENTLY_BUSY_MS,
  SHARE_THREAD_MS,
  SLOW_COMMIT_WRITE_MS,
} from './commit-write-policy.js'
export type { CommitWrites } from './commit-write-policy.js'
export type { WalOpenReport, WalRecord } from './types.js'
export type { WalGroupStats } from './group-stats.js'
/** A read-only walk over the raw segment files (every frame, where it lies, its checksum), for `tinydb inspect wal`. */
export { inspectWal } from './inspect.js'
export type { InspectWalOptions, WalInspection, WalRecordInspection, WalSegmentInspection } from './inspect.js'
