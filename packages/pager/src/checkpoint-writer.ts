import type { VfsFile } from '@tinydb/vfs'
import { encodeMeta, metaSlotFor } from './meta-format.js'
import type { MetaRecord } from './meta-format.js'
import type { PageChecksum } from './page-checksum.js'
import { encodePageHeader } from './page-format.js'

/** A page a checkpoint writes: its whole image, whose header is filled in just before the write. */
export interface CheckpointPage {
  readonly id: number
  readonly type: number
  readonly image: Uint8Array
}

export interface CheckpointWrite {
  readonly file: VfsFile
  readonly pageSize: number
  /** Ascending by id, no duplicates; every one at a location no durable meta references. */
  readonly pages: readonly CheckpointPage[]
  readonly meta: MetaRecord
  /** The file's format version (written into the meta) and how it checksums pages. */
  readonly formatVersion: number
  readonly checksum: PageChecksum
  /**
   * Bytes the file is known to hold at least (after an open, the durable checkpoint's pages; bytes
   * past them are unreferenced, so cutting them when the file is set to cover `meta.pageCount`
   * pages loses nothing).
   */
  readonly fileSize: number
}

/**
 * Page writes of one checkpoint in flight at once. Each write is one round trip through libuv's
 * thread pool (~70 µs on the bench machine), and a checkpoint of scattered pages is mostly short
 * runs: four at a time keep the pool's four threads busy and halve a close's checkpoint. Order
 * among them does not matter; the fdatasync after all of them is what orders pages before meta.
 */
const WRITES_IN_FLIGHT = 4

/**
 * A run of adjacent pages goes out as one `writev` of their images, up to this many bytes (so a
 * long run still spreads over the writes in flight). No copy into a staging buffer: that memcpy
 * was ~12 ms of main-thread time in a 33 MB checkpoint at close.
 */
const MAX_RUN_BYTES = 256 * 1024

/**
 * The checkpoint commit protocol. The order is the whole point:
 * 1. write the pages (runs of adjacent ids gathered into one write each, up to four writes in
 *    flight), and extend the file so it covers `meta.pageCount` pages;
 * 2. fdatasync — the pages and the size are durable before anything references them;
 * 3. write the meta page of slot `checkpointId % 2` (the older meta, never the durable one);
 * 4. fdatasync — the checkpoint is durable.
 * A crash before 4 completes leaves the previous meta valid and everything it references untouched
 * (step 1 wrote only unreferenced locations; step 3 overwrote only the older meta), so reopening
 * yields exactly the previous checkpoint or exactly this one.
 *
 * Returns the new file size. Any failure rejects, after every write already issued has settled;
 * the caller must then treat the file as poisoned.
 */
export async function writeCheckpoint(checkpoint: CheckpointWrite): Promise<number> {
  const { file, pageSize, pages, meta, checksum } = checkpoint
  const runPages = Math.max(1, Math.floor(MAX_RUN_BYTES / pageSize))
  const inFlight: (Promise<void> | undefined)[] = new Array<Promise<void> | undefined>(WRITES_IN_FLIGHT)
  let fileSize = checkpoint.fileSize
  try {
    for (let start = 0, lane = 0; start < pages.length; lane = (lane + 1) % WRITES_IN_FLIGHT) {
      await inFlight[lane]
      let end = start + 1
      while (end < pages.length && end - start < runPages && pages[end]!.id === pages[end - 1]!.id + 1) end++
      // Checksums are computed right before the write, so the bytes checksummed are the bytes
      // written. The write may read the images later, on a thread-pool thread: they are sealed
      // (read-only) until the checkpoint settles.
      const images: Uint8Array[] = []
      for (let i = start; i < end; i++) {
        const page = pages[i]!
        encodePageHeader(page.image, { pageId: page.id, type: page.type, writtenBy: meta.checkpointId }, checksum)
        images.push(page.image)
      }
      const position = pages[start]!.id * pageSize
      const write = images.length === 1 ? file.write(images[0]!, position) : file.writev(images, position)
      // Handled now, awaited later: a lane failing while another is awaited must not be "unhandled".
      write.catch(() => undefined)
      inFlight[lane] = write
      fileSize = Math.max(fileSize, position + images.length * pageSize)
      start = end
    }
    await Promise.all(inFlight)
  } catch (error) {
    await Promise.allSettled(inFlight)
    throw error
  }
  // Pages freed before they were ever written may lie past the end of the file; the file must
  // still cover every page the meta counts, so a short file at open means truncation, not this.
  const coveredSize = meta.pageCount * pageSize
  if (fileSize < coveredSize) {
    await file.truncate(coveredSize)
    fileSize = coveredSize
  }
  await file.sync()
  const slot = metaSlotFor(meta.checkpointId)
  const metaImage = new Uint8Array(pageSize)
  encodeMeta(metaImage, slot, meta, checkpoint.formatVersion)
  await file.write(metaImage, slot * pageSize)
  await file.sync()
  return fileSize
}
