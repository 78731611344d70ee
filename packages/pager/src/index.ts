export { TinyDbError } from '@tinydb/vfs'
export { FIRST_USER_PAGE_TYPE } from './pager.js'
export type {
  CheckpointTarget,
  CommitOptions,
  Page,
  PageAccounting,
  PageRetention,
  Pager,
  PagerMeta,
  PagerStats,
  PendingCheckpoint,
} from './pager.js'
export { MemoryPager, MemoryPageStorage } from './memory-pager.js'
export type { MemoryPagerOptions } from './memory-pager.js'
export { DEFAULT_CHECKPOINT_FLUSH_AFTER, FilePager } from './file-pager.js'
export type { FilePagerOptions } from './file-pager.js'
/** Read-only views of a data file's raw bytes (meta pages, any page, the free list), for `tinydb inspect`. */
export { inspectMeta, readRawPage, inspectFreeList, PAGE_HEADER_BYTES } from './inspect.js'
export type { MetaInspection, MetaSlotInspection, RawPageInspection, FreeListInspection, MetaRecord } from './inspect.js'
