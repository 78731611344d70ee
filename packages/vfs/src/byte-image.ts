/**
 * A growable byte array: the content of one file, either as the disk holds it (durable) or as reads
 * see it (visible). Invariant: every byte past `length` is zero, so growing a file — by truncate or
 * by a write past the end — reads zeros and never resurrects bytes a shrink cut off.
 */
export class ByteImage {
  private bytes: Uint8Array
  private size: number

  constructor(content: Uint8Array = new Uint8Array(0)) {
    this.bytes = new Uint8Array(Math.max(64, content.length))
    this.bytes.set(content)
    this.size = content.length
  }

  get length(): number {
    return this.size
  }

  copy(): ByteImage {
    return new ByteImage(this.view())
  }

  /** The current content, without copying: valid until the next change. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.size)
  }

  /** Copies into `target` from `position`; returns the bytes copied (short at end of file). */
  read(target: Uint8Array, position: number): number {
    if (position >= this.size) return 0
    const n = Math.min(target.length, this.size - position)
    target.set(this.bytes.subarray(position, position + n))
    return n
  }

  write(source: Uint8Array, position: number): void {
    const end = position + source.length
    this.reserve(end)
    this.bytes.set(source, position)
    if (end > this.size) this.size = end
  }

  truncate(size: number): void {
    if (size < this.size) this.bytes.fill(0, size, this.size)
    else this.reserve(size)
    this.size = size
  }

  /** Overwrites bytes in place without growing: the part of `source` past the end is dropped. */
  patch(source: Uint8Array, position: number): void {
    if (position >= this.size) return
    this.bytes.set(source.subarray(0, this.size - position), position)
  }

  private reserve(capacity: number): void {
    if (capacity <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(capacity, this.bytes.length * 2))
    grown.set(this.bytes.subarray(0, this.size))
    this.bytes = grown
  }
}
