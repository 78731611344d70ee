import { ByteImage } from './byte-image.js'

/** A change to a file's content or size made since its last successful `sync`, in program order. */
export type PendingChange =
  | { readonly kind: 'write'; readonly seq: number; readonly position: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly seq: number; readonly size: number }

export function applyChange(image: ByteImage, change: PendingChange): void {
  if (change.kind === 'write') image.write(change.bytes, change.position)
  else image.truncate(change.size)
}

/**
 * One simulated file (an inode: names in directories point at it, handles keep it alive).
 * `durable` is what the platter holds; `visible` is what reads see (`durable` plus `pending`, except
 * after a failed sync, see `forgetPending`). A crash replaces `visible` with `durable`.
 */
export class FileNode {
  readonly kind = 'file'
  durable: ByteImage
  visible: ByteImage
  pending: PendingChange[] = []

  constructor(durable: ByteImage = new ByteImage()) {
    this.durable = durable
    this.visible = durable.copy()
  }

  write(bytes: Uint8Array, position: number, seq: number): void {
    if (bytes.length === 0) return // pwrite of nothing changes nothing, not even the size
    // The caller may reuse its buffer once the promise resolves. Not `bytes.slice()`: on a Buffer
    // that is a view of the same memory, and the pending write would change with the caller's buffer.
    const copy = new Uint8Array(bytes)
    this.visible.write(copy, position)
    this.pending.push({ kind: 'write', seq, position, bytes: copy })
  }

  truncate(size: number, seq: number): void {
    this.visible.truncate(size)
    this.pending.push({ kind: 'truncate', seq, size })
  }

  /** fdatasync succeeded: content and size are on the platter. */
  sync(): void {
    for (const change of this.pending) applyChange(this.durable, change)
    this.pending = []
  }

  /**
   * fdatasync failed. As Linux does after a writeback error, the pages stay readable but are marked
   * clean: a later successful sync does not write them, and a crash loses them. This is what makes
   * "retry the fsync and carry on" detectable as data loss (invariant 7).
   */
  forgetPending(): void {
    this.pending = []
  }

  /** Power came back: reads see what the platter holds (`image` when the crash wrote some of `pending`). */
  reboot(image: ByteImage = this.durable): void {
    this.durable = image
    this.visible = image.copy()
    this.pending = []
  }
}
