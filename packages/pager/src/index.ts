export { TinyDbError } from '@tinydb/vfs'
export { FIRST_USER_PAGE_TYPE } from './pager.js'
export type {
  CheckpointTarget,
  Page,
  PageAccounting,
  Pager,
  PagerMeta,
  PagerStats,
  PendingCheckpoint,
} from './pager.js'
export { MemoryPager, MemoryPageStorage } from './memory-pager.js'
export type { MemoryPagerOptions } from './memory-pager.js'
export { FilePager } from './file-pager.js'
export type { FilePagerOptions } from './file-pager.js'
