import type { DurableStep, QueuedWrite } from '@tinydb/vfs'
import { encodeMeta, metaSlotFor } from './meta-format.js'
import type { MetaRecord } from './meta-format.js'
import type { PageChecksum } from './page-checksum.js'
import { encodePageHeader } from './page-format.js'

/** A page a checkpoint writes: its whole image, whose header is filled in when the steps are laid out. */
export interface CheckpointPage {
  readonly id: number
  readonly type: number
  readonly image: Uint8Array
  /**
   * Its header already holds this checkpoint's stamp: a sealed page is read-only, so a checkpoint
   * laid out again (folded into a later one, with the same id) need not checksum it again.
   */
  readonly stamped: boolean
}

export interface CheckpointLayout {
  readonly pageSize: number
  /** Ascending by id, no duplicates; every one at a location no durable meta references. */
  readonly pages: readonly CheckpointPage[]
  readonly meta: MetaRecord
  /** The file's format version (written into the meta) and how it checksums pages. */
  readonly formatVersion: number
  readonly checksum: PageChecksum
  /**
   * Bytes of pages after which the pages written so far are fdatasynced before more are written;
   * 0 syncs them all once. See `FilePagerOptions.checkpointFlushAfter`.
   */
  readonly flushAfter: number
}

/**
 * A run of adjacent pages goes out as one write of their images, up to this many bytes: one
 * system call instead of one per page, and no copy into a staging buffer.
 */
const MAX_RUN_BYTES = 256 * 1024

/**
 * The checkpoint commit protocol, as the steps of one `VfsFile.queueDurable` sequence (the Vfs
 * fdatasyncs the file after each step). The order is the whole point:
 * 1. write the pages (runs of adjacent ids gathered into one write each) and make the file cover
 *    `meta.pageCount` pages, fdatasyncing after every `flushAfter` bytes of pages and at the end —
 *    the pages and the size are durable before anything references them;
 * 2. write the meta page of slot `checkpointId % 2` (the older meta, never the durable one);
 *    fdatasync — the checkpoint is durable.
 * A crash before step 2's fdatasync returns leaves the previous meta valid and everything it
 * references untouched (step 1 wrote only unreferenced locations; step 2 overwrote only the older
 * meta), so reopening yields exactly the previous checkpoint or exactly this one. The syncs inside
 * step 1 change nothing of that: any subset of its writes may reach the disk before a crash anyway.
 * They bound what the disk holds queued from this checkpoint at any moment, and so how long a
 * commit to the log on the same disk waits behind it.
 *
 * Checksums are computed here, so the bytes checksummed are the bytes written: the images must stay
 * unchanged (sealed) until the sequence settles, as the Vfs may write them later, from another thread.
 * Pages freed before they were ever written may lie past the end of the file, hence the size: a
 * short file at open means truncation, never this.
 */
export function checkpointSteps(layout: CheckpointLayout): DurableStep[] {
  const { pageSize, pages, meta, checksum } = layout
  const stepBytes = layout.flushAfter > 0 ? Math.max(pageSize, layout.flushAfter) : Infinity
  const runPages = Math.max(1, Math.floor(Math.min(MAX_RUN_BYTES, stepBytes) / pageSize))
  const steps: DurableStep[] = []
  let writes: QueuedWrite[] = []
  let bytes = 0
  for (let start = 0; start < pages.length; ) {
    let end = start + 1
    while (end < pages.length && end - start < runPages && pages[end]!.id === pages[end - 1]!.id + 1) end++
    const runBytes = (end - start) * pageSize
    if (bytes + runBytes > stepBytes && writes.length > 0) {
      steps.push({ writes })
      writes = []
      bytes = 0
    }
    const buffers: Uint8Array[] = []
    for (let i = start; i < end; i++) {
      const page = pages[i]!
      if (!page.stamped) encodePageHeader(page.image, { pageId: page.id, type: page.type, writtenBy: meta.checkpointId }, checksum)
      buffers.push(page.image)
    }
    writes.push({ position: pages[start]!.id * pageSize, buffers })
    bytes += runBytes
    start = end
  }
  steps.push({ writes, minimumSize: meta.pageCount * pageSize })
  const slot = metaSlotFor(meta.checkpointId)
  const metaImage = new Uint8Array(pageSize)
  encodeMeta(metaImage, slot, meta, layout.formatVersion)
  steps.push({ writes: [{ position: slot * pageSize, buffers: [metaImage] }] })
  return steps
}
