import type { TreeSnapshot } from '@tinydb/kv'
import { toKey, toKeyRange, type Limits } from './arguments.js'
import { ScanIterator } from './scan-iterator.js'
import type { Bytes, ScanOptions, Snapshot } from './types.js'

/** `db.snapshot()`: reads of the tree as it was, until `close()` (see TreeSnapshot for how). */
export class DbSnapshot implements Snapshot {
  constructor(
    private readonly tree: TreeSnapshot,
    private readonly limits: Limits,
    /** Throws CLOSED once the store is closed, before the snapshot's own CLOSED. */
    private readonly assertReadable: () => void,
    private readonly onClose: () => void,
  ) {}

  async get(key: Bytes): Promise<Uint8Array | undefined> {
    return this.getSync(key)
  }

  getSync(key: Bytes): Uint8Array | undefined {
    this.assertReadable()
    return this.tree.get(toKey(key, this.limits))
  }

  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]> {
    this.assertReadable()
    const { range, limit } = toKeyRange(options)
    return new ScanIterator(this.tree.cursor(range), limit, this.assertReadable)
  }

  close(): void {
    this.onClose()
  }
}
