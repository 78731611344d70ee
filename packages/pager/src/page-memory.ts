/**
 * Bytes per slab of page images. A slab is freed only once none of its pages is referenced, and the
 * cache recycles page images rather than dropping them (see PageCache), so slabs stay few (256 for
 * the default 64 MiB cache) and rarely become garbage half-used.
 */
const SLAB_BYTES = 256 * 1024

/**
 * Where page images live: zero-filled views of `SharedArrayBuffer` slabs, so a checkpoint can hand
 * thousands of sealed pages to the Vfs's background writer (NodeVfs's worker thread) by reference
 * — no copy of tens of megabytes on the JavaScript thread, and nothing to copy again when a queued
 * checkpoint is folded into a later one. Views of shared memory read and write like any other
 * Uint8Array; only the checkpoint's writer reads them from another thread, and only while they are
 * sealed (read-only).
 */
export class PageMemory {
  private readonly slabBytes: number
  private slab: SharedArrayBuffer | undefined
  private used = 0
  private readonly zeroImage: Uint8Array

  constructor(private readonly pageSize: number) {
    this.slabBytes = Math.max(pageSize, Math.floor(SLAB_BYTES / pageSize) * pageSize)
    this.zeroImage = new Uint8Array(pageSize)
  }

  /**
   * Zero-fills a page image of this memory, for reuse. Not `image.fill(0)`: V8 fills a typed array
   * over shared memory one byte at a time, while a copy moves whole words (4 KiB: 2.1 µs against
   * 0.37 µs). At scale every copy-on-write allocation recycles an image, so this was a tenth of a
   * 2 M-key load's JavaScript time.
   */
  clear(image: Uint8Array): void {
    image.set(this.zeroImage)
  }

  /** A new zero-filled page image. */
  allocate(): Uint8Array {
    if (this.slab === undefined || this.used + this.pageSize > this.slabBytes) {
      this.slab = new SharedArrayBuffer(this.slabBytes)
      this.used = 0
    }
    const image = new Uint8Array(this.slab, this.used, this.pageSize)
    this.used += this.pageSize
    return image
  }
}
