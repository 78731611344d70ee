import { open, type Database, type RootDatabase } from 'lmdb'
import type { Entry, StoreAdapter, StoreHandle } from '../adapter.js'

/**
 * lmdb-js with its default durability: every write transaction is committed with a sync
 * (overlappingSync on Linux: a put's promise resolves once its transaction is flushed). Writes
 * issued in the same turn share one transaction, lmdb-js's own group commit.
 */
export const lmdbAdapter: StoreAdapter = {
  name: 'lmdb',
  describe: 'lmdb-js 3, default sync commits, binary keys and values',
  async open(dir: string): Promise<StoreHandle> {
    const root: RootDatabase<Buffer, Buffer> = open<Buffer, Buffer>({ path: dir, keyEncoding: 'binary', encoding: 'binary' })
    return new LmdbHandle(root)
  },
}

class LmdbHandle implements StoreHandle {
  constructor(private readonly db: Database<Buffer, Buffer> & { close(): Promise<void> }) {}

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.db.put(Buffer.from(key), Buffer.from(value))
  }

  async putMany(entries: readonly Entry[]): Promise<void> {
    await this.db.transaction(() => {
      for (const [key, value] of entries) void this.db.put(Buffer.from(key), Buffer.from(value))
    })
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.get(Buffer.from(key))
  }

  scan(): Iterable<unknown> {
    return this.db.getRange()
  }

  close(): Promise<void> {
    return this.db.close()
  }
}

export default lmdbAdapter
