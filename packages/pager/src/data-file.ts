import { dirname } from 'node:path'
import { TinyDbError, corruption } from '@tinydb/vfs'
import type { Vfs, VfsFile } from '@tinydb/vfs'
import { decodeFreeListPage } from './freelist-format.js'
import { FORMAT_VERSION, decodeMeta, encodeMeta } from './meta-format.js'
import type { MetaDecodeResult, MetaRecord, MetaSlot } from './meta-format.js'
import { FIRST_DATA_PAGE_ID, MAX_PAGE_SIZE, MIN_PAGE_SIZE } from './page-format.js'

/** A data file opened at its newest valid checkpoint, with that checkpoint's free list read. */
export interface DataFile {
  readonly file: VfsFile
  readonly pageSize: number
  readonly meta: MetaRecord
  /** The pages of the free-list chain (the pager's own pages in this checkpoint). */
  readonly freeListPageIds: number[]
  /** The pages the free list lists. */
  readonly freePageIds: number[]
  readonly fileSize: number
  /**
   * The chosen meta page as read, and its slot. It may be visible without being durable, so the
   * first checkpoint of this open rewrites and syncs it before writing any page (FilePager.commit).
   */
  readonly metaSlot: MetaSlot
  readonly metaImage: Uint8Array
}

/** Opens `path`, creating it with `pageSize` pages when it does not exist. */
export async function openDataFile(vfs: Vfs, path: string, pageSize: number): Promise<DataFile> {
  if (!(await vfs.exists(path))) await createDataFile(vfs, path, pageSize)
  const file = await vfs.open(path)
  try {
    return await loadDataFile(file)
  } catch (error) {
    await file.close().catch(() => undefined)
    throw error
  }
}

/**
 * Creates the file under a temporary name and renames it into place once both meta pages are
 * durable: a crash during creation leaves either no file or a complete one, never a file without a
 * valid meta (which would be unopenable). A leftover temporary file is simply overwritten.
 */
async function createDataFile(vfs: Vfs, path: string, pageSize: number): Promise<void> {
  const temporary = `${path}.creating`
  const meta: MetaRecord = { checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: FIRST_DATA_PAGE_ID, freeListPageId: 0, freePageCount: 0 }
  const image = new Uint8Array(2 * pageSize)
  encodeMeta(image.subarray(0, pageSize), 0, meta)
  encodeMeta(image.subarray(pageSize), 1, meta)
  const file = await vfs.open(temporary, { create: true })
  try {
    await file.truncate(0)
    await file.write(image, 0)
    await file.sync()
  } catch (error) {
    await file.close().catch(() => undefined)
    throw error
  }
  await file.close()
  await vfs.rename(temporary, path)
  await vfs.syncDir(dirname(path))
}

async function loadDataFile(file: VfsFile): Promise<DataFile> {
  const path = file.path
  const fileSize = await file.size()
  // Both meta pages lie within the first two pages of the largest size; read them in one go.
  const head = new Uint8Array(Math.min(fileSize, 2 * MAX_PAGE_SIZE))
  const headLength = await file.read(head, 0)
  const { meta, pageSize, slot } = chooseMeta(head.subarray(0, headLength), path)
  if (fileSize < meta.pageCount * pageSize) {
    throw corruption(
      { file: path, offset: fileSize },
      `the file is ${fileSize} bytes, shorter than the ${meta.pageCount} pages of ${pageSize} bytes checkpoint ${meta.checkpointId} records`,
    )
  }
  const { freeListPageIds, freePageIds } = readFreeList(file, pageSize, meta)
  // The meta we read may be visible without being durable: after a failed fdatasync the kernel can
  // keep showing a write it will never flush (fsyncgate). It must really be on disk before anything
  // is built on it — before the next checkpoint writes pages that the older meta may reference, and
  // overwrites that older meta. Nothing is built on it before that checkpoint, so the rewrite and
  // its fdatasync wait for it (FilePager.commit) instead of costing every open a sync.
  const metaImage = head.slice(slot * pageSize, (slot + 1) * pageSize)
  return { file, pageSize, meta, freeListPageIds, freePageIds, fileSize, metaSlot: slot, metaImage }
}

/**
 * The newest valid meta page. A torn or rotten meta (the one a crash interrupted) is skipped in
 * favour of the other; the checkpoint it described never became durable, because a meta is
 * written only after the pages it references are synced.
 */
function chooseMeta(head: Uint8Array, file: string): { meta: MetaRecord; pageSize: number; slot: MetaSlot } {
  const first = decodeMeta(head, 0)
  let second: MetaDecodeResult
  if (first.status === 'valid') {
    second = decodeMeta(head.subarray(Math.min(first.pageSize, head.length)), 1, first.pageSize)
  } else {
    // Meta 0 cannot tell us the page size: look for meta 1 at every offset a page size allows.
    second = { status: 'invalid', reason: `no valid meta page at any page-size offset (${MIN_PAGE_SIZE}..${MAX_PAGE_SIZE})` }
    for (let size = MIN_PAGE_SIZE; size <= MAX_PAGE_SIZE && size < head.length; size *= 2) {
      const candidate = decodeMeta(head.subarray(size), 1, size)
      if (candidate.status !== 'invalid') {
        second = candidate
        break
      }
    }
  }
  for (const result of [first, second]) {
    if (result.status === 'unsupported') {
      throw new TinyDbError(
        'UNSUPPORTED_FORMAT',
        `${file} has pager format version ${result.version}; this version of @tinydb/pager reads version ${FORMAT_VERSION}`,
        { file },
      )
    }
  }
  if (first.status === 'valid' && (second.status !== 'valid' || first.meta.checkpointId >= second.meta.checkpointId)) {
    return { meta: first.meta, pageSize: first.pageSize, slot: 0 }
  }
  if (second.status === 'valid') return { meta: second.meta, pageSize: second.pageSize, slot: 1 }
  const reason = (result: MetaDecodeResult): string => (result.status === 'invalid' ? result.reason : result.status)
  throw corruption({ file, pageId: 0, offset: 0 }, `no valid meta page (page 0: ${reason(first)}; page 1: ${reason(second)})`)
}

/**
 * Follows the free-list chain of `meta`: cost proportional to the free list, not to the file.
 * Every id is range-checked and the entries must be strictly ascending across the chain (as
 * FORMAT.md promises), which rules out duplicates without a set; the chain's own pages and the root
 * are then looked up in the sorted entries. So a corrupt list can never hand out a page that is in
 * use (which would let a later checkpoint overwrite live data). The chain pages are read with
 * `readSync`: a handful of page-cache reads, each cheaper than a promise round trip.
 */
function readFreeList(file: VfsFile, pageSize: number, meta: MetaRecord): { freeListPageIds: number[]; freePageIds: number[] } {
  const freeListPageIds: number[] = []
  const freePageIds: number[] = []
  const chain = new Set<number>()
  const buffer = new Uint8Array(pageSize)
  const isPage = (id: number): boolean => id >= FIRST_DATA_PAGE_ID && id < meta.pageCount
  let from = 0 // the meta page
  let previous = FIRST_DATA_PAGE_ID - 1
  for (let pageId = meta.freeListPageId; pageId !== 0; ) {
    const site = { file: file.path, pageId: from, offset: from * pageSize }
    if (!isPage(pageId)) throw corruption(site, `free-list link to page ${pageId}, outside [2, ${meta.pageCount})`)
    if (chain.has(pageId)) throw corruption(site, `free-list link to page ${pageId}, which is already in the free list`)
    chain.add(pageId)
    freeListPageIds.push(pageId)
    const length = file.readSync(buffer, pageId * pageSize)
    if (length < pageSize) throw corruption({ file: file.path, pageId, offset: pageId * pageSize }, 'the file ends inside the page')
    const page = decodeFreeListPage(buffer, pageId, file.path)
    const ids = page.pageIds
    for (let index = 0; index < ids.length; index++) {
      const freeId = ids[index]!
      if (freeId <= previous || freeId >= meta.pageCount) {
        const here = { file: file.path, pageId, offset: pageId * pageSize }
        if (!isPage(freeId)) throw corruption(here, `free page ${freeId} outside [2, ${meta.pageCount})`)
        if (freeId === previous) throw corruption(here, `page ${freeId} listed twice in the free list`)
        throw corruption(here, `free page ${freeId} listed after ${previous}: the free list is not ascending`)
      }
      previous = freeId
      freePageIds.push(freeId)
    }
    from = pageId
    pageId = page.nextPageId
  }
  const site = { file: file.path, pageId: meta.freeListPageId }
  if (freePageIds.length !== meta.freePageCount) {
    throw corruption(site, `the free list holds ${freePageIds.length} pages, the meta records ${meta.freePageCount}`)
  }
  for (const pageId of chain) {
    if (containsSorted(freePageIds, pageId)) throw corruption(site, `page ${pageId} is both a free-list page and listed as free`)
  }
  if (meta.rootPageId !== 0 && (chain.has(meta.rootPageId) || containsSorted(freePageIds, meta.rootPageId))) {
    throw corruption(site, `the root page ${meta.rootPageId} is in the free list`)
  }
  return { freeListPageIds, freePageIds }
}

function containsSorted(sorted: readonly number[], value: number): boolean {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (sorted[middle]! < value) low = middle + 1
    else high = middle
  }
  return low < sorted.length && sorted[low] === value
}
