/**
 * The first segment an open starts is preallocated to this (or to the segment size, if smaller).
 * Preallocating is writing zeros and syncing them; a new store, or the first commit after an open
 * that found no spare, waits for it. 1 MiB takes ~3 ms here, a whole 8 MiB segment ~20–25 ms.
 */
export const FIRST_SEGMENT_SIZE = 1024 * 1024

/**
 * How large each segment this open starts is preallocated: `FIRST_SEGMENT_SIZE`, then twice the
 * previous one, up to `segmentSize`. A short-lived open (a CLI command, a test, a process that
 * writes a few records) never pays for a whole segment of zeros, and a busy log reaches full-size
 * segments after a few megabytes, so segment roll-overs stay rare. The size is a preallocation,
 * not a limit the format knows: a group larger than its segment extends the file, and open reads
 * a segment to its end whatever its size.
 */
export class SegmentSizes {
  private next: number

  constructor(readonly segmentSize: number) {
    this.next = Math.min(segmentSize, FIRST_SEGMENT_SIZE)
  }

  /** The size the next segment started will be preallocated to. */
  peek(): number {
    return this.next
  }

  /** Takes the size for a segment being started now; the one after it doubles. */
  take(): number {
    const size = this.next
    this.next = Math.min(this.segmentSize, size * 2)
    return size
  }
}
