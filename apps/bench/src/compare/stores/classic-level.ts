import { ClassicLevel } from 'classic-level'
import type { Entry, StoreAdapter, StoreHandle } from '../adapter.js'

type Level = ClassicLevel<Buffer, Buffer>

/** LevelDB through classic-level, every write with `{ sync: true }`; reads are asynchronous. */
export const classicLevelAdapter: StoreAdapter = {
  name: 'leveldb',
  describe: 'classic-level 3 (LevelDB), writes with { sync: true }, buffer encodings',
  async open(dir: string): Promise<StoreHandle> {
    const db: Level = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await db.open()
    return new LevelHandle(db)
  },
}

const SYNC = { sync: true } as const

class LevelHandle implements StoreHandle {
  constructor(private readonly db: Level) {}

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.db.put(Buffer.from(key), Buffer.from(value), SYNC)
  }

  putMany(entries: readonly Entry[]): Promise<void> {
    return this.db.batch(
      entries.map(([key, value]) => ({ type: 'put' as const, key: Buffer.from(key), value: Buffer.from(value) })),
      SYNC,
    )
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(Buffer.from(key))
  }

  scan(): AsyncIterable<unknown> {
    return this.db.iterator()
  }

  close(): Promise<void> {
    return this.db.close()
  }
}

export default classicLevelAdapter
