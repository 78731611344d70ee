import { TREE_PAGE_TYPES, inspectTreePage } from '@tinydb/kv'
import type { TreePageInspection } from '@tinydb/kv'
import { inspectFreeList, inspectMeta, readRawPage } from '@tinydb/pager'
import type { FreeListInspection, MetaRecord, RawPageInspection } from '@tinydb/pager'
import { CommandFailure } from '../failure.js'
import type { ReadOnlyStore } from '../read-only-store.js'

/** What `inspect page` and `inspect tree` need: the live checkpoint, its page size and its free list. */
export interface LiveCheckpoint {
  readonly pageSize: number
  /** The file's format version: how its pages are checksummed. */
  readonly formatVersion: number
  readonly meta: MetaRecord
  readonly freeList: FreeListInspection
}

export async function liveCheckpoint({ vfs, layout }: ReadOnlyStore): Promise<LiveCheckpoint> {
  const inspection = await inspectMeta(vfs, layout.dataPath)
  const meta = inspection.live === undefined ? undefined : inspection.slots[inspection.live].meta
  if (meta === undefined || inspection.pageSize === undefined || inspection.formatVersion === undefined) {
    throw new CommandFailure(`error: no live meta page in ${layout.dataPath}: ${inspection.why} (see tinydb inspect meta)`)
  }
  const freeList = await inspectFreeList(vfs, layout.dataPath, inspection.pageSize, meta, inspection.formatVersion)
  return { pageSize: inspection.pageSize, formatVersion: inspection.formatVersion, meta, freeList }
}

export interface DecodedPage {
  readonly raw: RawPageInspection
  /** Name of the type: the pager's (meta, free list) or the tree's (leaf, branch, overflow). */
  readonly typeName: string
  /** The decoded body of a tree page; undefined for the pager's own pages. */
  readonly tree: TreePageInspection | undefined
}

export function pageTypeName(type: number): string {
  if (type === TREE_PAGE_TYPES.leaf) return 'leaf'
  if (type === TREE_PAGE_TYPES.branch) return 'branch'
  if (type === TREE_PAGE_TYPES.overflow) return 'overflow'
  if (type === 1) return 'meta'
  if (type === 2) return 'free list'
  return type === 0 ? 'none (never written)' : 'unknown'
}

export async function readDecodedPage({ vfs, layout }: ReadOnlyStore, pageId: number, live: Pick<LiveCheckpoint, 'pageSize' | 'formatVersion'>): Promise<DecodedPage> {
  const raw = await readRawPage(vfs, layout.dataPath, pageId, live.pageSize, live.formatVersion)
  const isTree = raw.type === TREE_PAGE_TYPES.leaf || raw.type === TREE_PAGE_TYPES.branch || raw.type === TREE_PAGE_TYPES.overflow
  return { raw, typeName: pageTypeName(raw.type), tree: isTree ? inspectTreePage(raw.type, raw.body) : undefined }
}
