import { open, type Db, type OpenOptions } from '@tinydb/engine'
import type { Entry, LogWrites, StoreAdapter, StoreHandle } from '../adapter.js'

/**
 * TinyDB through its public API, in its default (durable) mode. `tinyDbAdapter(name, options)`
 * builds a variant with other options, e.g. for an `--adapter` module comparing page sizes.
 */
export function tinyDbAdapter(name = 'tinydb', options?: OpenOptions): StoreAdapter {
  return {
    name,
    describe: `@tinydb/engine open(dir, ${JSON.stringify(options ?? {})}): durability 'sync' (fdatasync per commit group) unless set`,
    async open(dir: string): Promise<StoreHandle> {
      return new TinyDbHandle(await open(dir, options))
    },
  }
}

class TinyDbHandle implements StoreHandle {
  constructor(private readonly db: Db) {}

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.db.put(key, value)
  }

  putMany(entries: readonly Entry[]): Promise<void> {
    return this.db.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })))
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.getSync(key)
  }

  scan(): AsyncIterable<unknown> {
    return this.db.scan()
  }

  close(): Promise<void> {
    return this.db.close()
  }

  logWrites(): LogWrites {
    const { groups, writeMs } = this.db.stats().wal.groups
    return { writes: groups, ms: writeMs }
  }
}

export default tinyDbAdapter()
