import type { Vfs, VfsFile } from '@tinydb/vfs'

const ZERO_CHUNK = 1024 * 1024

/**
 * The physical floor of a durable append on this disk, as a benchmarkable fixture: a file filled
 * with real zeros and synced up front, so that `append` (write + fdatasync) flushes data only, never
 * block allocation or size metadata. A sparse file (`truncate`) would make the floor slower than a
 * well-preallocated log and flatter every ratio. Appends wrap around at the end of the file, since a
 * benchmark runner decides how many iterations it needs.
 */
export class FloorFile {
  private offset = 0

  private constructor(
    private readonly file: VfsFile,
    private readonly capacity: number,
    private readonly dsync: boolean,
  ) {}

  /** `dsync`: the handle is O_DSYNC, so each append is one durable write with no fdatasync after it. */
  static async open(vfs: Vfs, path: string, capacity: number, options: { readonly dsync?: boolean } = {}): Promise<FloorFile> {
    const dsync = options.dsync === true
    const file = await vfs.open(path, { create: true, dsync })
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK, capacity))
    for (let offset = 0; offset < capacity; offset += zeros.length) {
      await file.write(zeros.subarray(0, Math.min(zeros.length, capacity - offset)), offset)
    }
    await file.sync()
    return new FloorFile(file, capacity, dsync)
  }

  /** One write of `bytes` at the next offset, then fdatasync (none needed when `dsync`): what one durable log group costs at best. */
  async append(bytes: Uint8Array): Promise<void> {
    if (this.offset + bytes.length > this.capacity) this.offset = 0
    await this.file.write(bytes, this.offset)
    this.offset += bytes.length
    if (!this.dsync) await this.file.sync()
  }

  async close(): Promise<void> {
    await this.file.close()
  }
}
