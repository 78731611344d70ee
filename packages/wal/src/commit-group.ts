import { encodeFrame, frameLength, frameSize, resealFrame } from './frame-format.js'

const INITIAL_CAPACITY = 64 * 1024
/** A buffer grown past this by one large group is given back after that group, not kept forever. */
const RETAINED_CAPACITY = 4 * 1024 * 1024

/**
 * The records of one commit group, encoded back to back as they will lie in the segment, so that
 * flushing the group is a single `write`. Appenders wait on `done`, one promise per group, which
 * settles after the group's write (and fdatasync) — appends in a group therefore resume in LSN order.
 */
export class CommitGroup {
  bytes: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY)
  private view = viewOf(this.bytes)
  /** Encoded bytes in `bytes`. */
  length = 0
  /** Records in the group; 0 for an empty group. */
  count = 0
  firstLsn = 0
  /** The salt of the segment the group goes to; every frame's CRC is seeded with it. */
  salt = 0
  /** Where in its segment the group will be written. */
  offset = 0
  /** True when the group is the first of a new segment (whose header it carries the first LSN for). */
  startsSegment = false
  /** When `startsSegment`: the bytes that segment's file is preallocated to (set when the group is flushed). */
  segmentSize = 0
  done: Promise<void> = Promise.resolve()
  private settle: { resolve: () => void; reject: (error: unknown) => void } | undefined

  get lastLsn(): number {
    return this.firstLsn + this.count - 1
  }

  /** Opens the group for records from `firstLsn`, to be written at `offset` of a segment with `salt`. */
  begin(firstLsn: number, offset: number, salt: number, startsSegment: boolean): void {
    this.firstLsn = firstLsn
    this.offset = offset
    this.salt = salt
    this.startsSegment = startsSegment
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject }
    })
    // Every append awaits `done`; this only keeps a group nobody waits on from being reported as
    // an unhandled rejection.
    this.done.catch(() => undefined)
  }

  /** Encodes `payload` as the record `lsn`, which must be `lastLsn + 1`. */
  add(payload: Uint8Array, lsn: number): void {
    const end = this.length + frameSize(payload.length)
    if (end > this.bytes.length) this.grow(end)
    this.length = encodeFrame(this.bytes, this.view, this.length, payload, lsn, lsn - this.firstLsn, this.salt)
    this.count++
  }

  /**
   * Sends the group to the start of a new segment instead (it no longer fits the current one; a
   * group never spans two segments), re-sealing its frames with the new segment's salt.
   */
  moveToNewSegment(offset: number, salt: number): void {
    this.offset = offset
    this.salt = salt
    this.startsSegment = true
    for (let at = 0; at < this.length; at += frameSize(frameLength(this.bytes, at))) resealFrame(this.bytes, at, salt)
  }

  resolve(): void {
    this.settle?.resolve()
  }

  reject(error: unknown): void {
    this.settle?.reject(error)
  }

  /** Empties the group for reuse; its promise has been settled. */
  reset(): void {
    this.length = 0
    this.count = 0
    this.settle = undefined
    if (this.bytes.length > RETAINED_CAPACITY) this.setBytes(Buffer.allocUnsafe(INITIAL_CAPACITY))
  }

  private grow(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2))
    this.bytes.copy(grown, 0, 0, this.length)
    this.setBytes(grown)
  }

  private setBytes(bytes: Buffer): void {
    this.bytes = bytes
    this.view = viewOf(bytes)
  }
}

function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
