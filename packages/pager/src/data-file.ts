import { Buffer } from 'node:buffer'
import { dirname } from 'node:path'
import { TinyDbError, corruption } from '@tinydb/vfs'
import type { Vfs, VfsFile } from '@tinydb/vfs'
import { copyFreeListEntries, decodeFreeListHeader } from './freelist-format.js'
import { sortedIncludes, type LoadedFreeList } from './freelist.js'
import { decodeMeta, encodeMeta } from './meta-format.js'
import type { MetaDecodeResult, MetaRecord, MetaSlot } from './meta-format.js'
import { FORMAT_VERSION, pageChecksumFor, type PageChecksum } from './page-checksum.js'
import { FIRST_DATA_PAGE_ID, MAX_PAGE_SIZE, MIN_PAGE_SIZE } from './page-format.js'

/** A data file opened at its newest valid checkpoint, with that checkpoint's free list read and checked. */
export interface DataFile {
  readonly file: VfsFile
  readonly pageSize: number
  readonly meta: MetaRecord
  /** The file's format version (both metas record it), which every later checkpoint keeps. */
  readonly formatVersion: number
  /** How the file's pages other than the metas are checksummed (by `formatVersion` and `pageSize`). */
  readonly checksum: PageChecksum
  /** The pages of the free-list chain (the pager's own pages in this checkpoint). */
  readonly freeListPageIds: number[]
  /** What the free list lists, as read (`LoadedFreeList` says what open has checked of it). */
  readonly freeList: LoadedFreeList
  /**
   * What the file is known to hold at least: `meta.pageCount` pages. Bytes past them (left by a
   * checkpoint that crashed) may exist; nothing references them, and the exact size is not asked
   * for at open (it costs a round trip through the thread pool).
   */
  readonly fileSize: number
  /**
   * The chosen meta page as read, and its slot. It may be visible without being durable, so the
   * first checkpoint of this open rewrites and syncs it before writing any page (FilePager.commit).
   */
  readonly metaSlot: MetaSlot
  readonly metaImage: Uint8Array
  /** The file did not exist and was created by this open. */
  readonly created: boolean
}

/** Opens `path`, creating it with `pageSize` pages when it does not exist. */
export async function openDataFile(vfs: Vfs, path: string, pageSize: number): Promise<DataFile> {
  // Opened first and asked about only when that fails: a reopen then costs one round trip, not two.
  let created = false
  let file: VfsFile
  try {
    file = await vfs.open(path)
  } catch (error) {
    if (await vfs.exists(path)) throw error
    await createDataFile(vfs, path, pageSize)
    created = true
    file = await vfs.open(path)
  }
  try {
    return { ...(await loadDataFile(file)), created }
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
  encodeMeta(image.subarray(0, pageSize), 0, meta, FORMAT_VERSION)
  encodeMeta(image.subarray(pageSize), 1, meta, FORMAT_VERSION)
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

async function loadDataFile(file: VfsFile): Promise<Omit<DataFile, 'created'>> {
  const path = file.path
  // Everything here reads synchronously: a few reads from the OS page cache, each cheaper than a
  // promise's round trip through the thread pool. Both meta pages lie within the first two pages
  // of the largest size; read them in one go.
  const head = new Uint8Array(2 * MAX_PAGE_SIZE)
  const { meta, pageSize, slot, version } = chooseMeta(head.subarray(0, file.readSync(head, 0)), path)
  // Defined: decodeMeta accepted the version.
  const checksum = pageChecksumFor(version, pageSize)!
  // The file must hold every page the checkpoint counts: its last byte is there, or the file was
  // truncated. (Checked before the free list, which a truncation would otherwise report as a
  // free-list page cut short.) Its exact size is asked for only to say so.
  const coveredSize = meta.pageCount * pageSize
  if (file.readSync(new Uint8Array(1), coveredSize - 1) < 1) {
    const fileSize = await file.size()
    throw corruption(
      { file: path, offset: fileSize },
      `the file is ${fileSize} bytes, shorter than the ${meta.pageCount} pages of ${pageSize} bytes checkpoint ${meta.checkpointId} records`,
    )
  }
  const freeList = readFreeList(file, pageSize, meta, checksum)
  // The meta we read may be visible without being durable: after a failed fdatasync the kernel can
  // keep showing a write it will never flush (fsyncgate). It must really be on disk before anything
  // is built on it — before the next checkpoint writes pages that the older meta may reference, and
  // overwrites that older meta. Nothing is built on it before that checkpoint, so the rewrite and
  // its fdatasync wait for it (FilePager.commit) instead of costing every open a sync.
  const metaImage = head.slice(slot * pageSize, (slot + 1) * pageSize)
  return { file, pageSize, meta, formatVersion: version, checksum, ...freeList, fileSize: coveredSize, metaSlot: slot, metaImage }
}

/**
 * The newest valid meta page. A torn or rotten meta (the one a crash interrupted) is skipped in
 * favour of the other; the checkpoint it described never became durable, because a meta is
 * written only after the pages it references are synced.
 */
function chooseMeta(head: Uint8Array, file: string): { meta: MetaRecord; pageSize: number; slot: MetaSlot; version: number } {
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
        `${file} has pager format version ${result.version}; this version of @tinydb/pager reads versions 1 to ${FORMAT_VERSION}`,
        { file },
      )
    }
  }
  // A file keeps the version it was created in, so two valid metas that disagree were not both
  // written by TinyDB: which pages to trust, and how to check them, is unknown.
  if (first.status === 'valid' && second.status === 'valid' && first.version !== second.version) {
    throw corruption({ file, pageId: 0, offset: 0 }, `the meta pages record different format versions (${first.version} and ${second.version})`)
  }
  if (first.status === 'valid' && (second.status !== 'valid' || first.meta.checkpointId >= second.meta.checkpointId)) {
    return { meta: first.meta, pageSize: first.pageSize, slot: 0, version: first.version }
  }
  if (second.status === 'valid') return { meta: second.meta, pageSize: second.pageSize, slot: 1, version: second.version }
  const reason = (result: MetaDecodeResult): string => (result.status === 'invalid' ? result.reason : result.status)
  throw corruption({ file, pageId: 0, offset: 0 }, `no valid meta page (page 0: ${reason(first)}; page 1: ${reason(second)})`)
}

/**
 * Follows the free-list chain of `meta`: cost proportional to the chain's pages, with no JavaScript
 * per free page (a reopen reads thousands of them, in code that runs once per process and so runs
 * cold). Checked here: every chain page (checksum, id, type, count), every link (inside the file,
 * no page twice, which stops a cycle), that the entries total `freePageCount`, lie in
 * [2, pageCount) and ascend across the chain, and that no chain page and not the root is listed as
 * free. What a native sort and compare cannot see, an id listed twice, `FreePages` catches as it
 * reaches it (`LoadedFreeList`), before the page could be handed out twice. So a corrupt list can
 * never hand out a page that is in use (which would let a later checkpoint overwrite live data).
 */
function readFreeList(file: VfsFile, pageSize: number, meta: MetaRecord, checksum: PageChecksum): { freeListPageIds: number[]; freeList: LoadedFreeList } {
  const freeListPageIds: number[] = []
  /** Where each chain page's entries start in `ids`: to name the page an entry came from. */
  const firstEntries: number[] = []
  const ids = new Uint32Array(meta.freePageCount)
  const chain = new Set<number>()
  const buffer = new Uint8Array(pageSize)
  const isPage = (id: number): boolean => id >= FIRST_DATA_PAGE_ID && id < meta.pageCount
  const siteOf = (pageId: number): { file: string; pageId: number; offset: number } => ({ file: file.path, pageId, offset: pageId * pageSize })
  let from = 0 // the meta page
  let filled = 0
  for (let pageId = meta.freeListPageId; pageId !== 0; ) {
    if (!isPage(pageId)) throw corruption(siteOf(from), `free-list link to page ${pageId}, outside [2, ${meta.pageCount})`)
    if (chain.has(pageId)) throw corruption(siteOf(from), `free-list link to page ${pageId}, which is already in the free list`)
    chain.add(pageId)
    freeListPageIds.push(pageId)
    const length = file.readSync(buffer, pageId * pageSize)
    if (length < pageSize) throw corruption(siteOf(pageId), 'the file ends inside the page')
    const { nextPageId, count } = decodeFreeListHeader(buffer, pageId, file.path, checksum)
    if (filled + count > ids.length) throw corruption(siteOf(pageId), `the free list holds more than the ${ids.length} pages the meta records`)
    firstEntries.push(filled)
    copyFreeListEntries(buffer, count, ids, filled)
    filled += count
    from = pageId
    pageId = nextPageId
  }
  const site = { file: file.path, pageId: meta.freeListPageId }
  if (filled !== ids.length) throw corruption(site, `the free list holds ${filled} pages, the meta records ${meta.freePageCount}`)
  /** The chain page that lists entry `index`. */
  const pageOf = (index: number): number => freeListPageIds[upperBound(firstEntries, index) - 1]!
  if (!ascendingInRange(ids, meta.pageCount)) throw disorder(ids, meta.pageCount, (index) => siteOf(pageOf(index)))
  for (const pageId of chain) {
    if (sortedIncludes(ids, pageId)) throw corruption(site, `page ${pageId} is both a free-list page and listed as free`)
  }
  if (meta.rootPageId !== 0 && (chain.has(meta.rootPageId) || sortedIncludes(ids, meta.rootPageId))) {
    throw corruption(site, `the root page ${meta.rootPageId} is in the free list`)
  }
  const duplicateAt = (index: number): Error => corruption(siteOf(pageOf(index)), `page ${ids[index]} listed twice in the free list`)
  return { freeListPageIds, freeList: { ids, duplicateAt } }
}

/**
 * True when `ids` ascends (equal neighbours allowed) within [2, pageCount), checked natively: a
 * typed-array sort and a byte compare cost ~0.3 ms for 10k ids where a JavaScript loop that runs
 * once per process costs 1.5–4 ms.
 */
function ascendingInRange(ids: Uint32Array, pageCount: number): boolean {
  if (ids.length === 0) return true
  if (ids[0]! < FIRST_DATA_PAGE_ID || ids[ids.length - 1]! >= pageCount) return false
  const sorted = ids.slice().sort()
  const bytes = (array: Uint32Array): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
  return Buffer.compare(bytes(sorted), bytes(ids)) === 0
}

/** What is wrong with a list `ascendingInRange` refused: the first entry out of range, repeated or out of order. */
function disorder(ids: Uint32Array, pageCount: number, siteOf: (index: number) => { file: string; pageId: number; offset: number }): TinyDbError {
  let previous = FIRST_DATA_PAGE_ID - 1
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index]!
    if (id < FIRST_DATA_PAGE_ID || id >= pageCount) return corruption(siteOf(index), `free page ${id} outside [2, ${pageCount})`)
    if (id === previous) return corruption(siteOf(index), `page ${id} listed twice in the free list`)
    if (id < previous) return corruption(siteOf(index), `free page ${id} listed after ${previous}: the free list is not ascending`)
    previous = id
  }
  return corruption(siteOf(0), 'the free list is not ascending')
}

/** The first index whose value is greater than `value` in the ascending `sorted`. */
function upperBound(sorted: readonly number[], value: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (sorted[middle]! <= value) low = middle + 1
    else high = middle
  }
  return low
}
