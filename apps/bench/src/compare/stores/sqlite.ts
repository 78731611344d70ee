import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Entry, StoreAdapter, StoreHandle } from '../adapter.js'

/**
 * SQLite through better-sqlite3 in WAL mode with `synchronous=FULL` (the WAL is synced at every
 * commit), one WITHOUT ROWID table keyed by the key. Calls are synchronous, so W2's 64 "concurrent"
 * writers take turns: each put is its own commit.
 */
export const sqliteAdapter: StoreAdapter = {
  name: 'sqlite',
  describe: 'better-sqlite3 12, journal_mode=WAL, synchronous=FULL, WITHOUT ROWID table',
  async open(dir: string): Promise<StoreHandle> {
    const db = new Database(join(dir, 'store.sqlite'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID')
    return new SqliteHandle(db)
  },
}

class SqliteHandle implements StoreHandle {
  private readonly insert: Database.Statement<[Uint8Array, Uint8Array]>
  private readonly select: Database.Statement<[Uint8Array], Uint8Array>
  private readonly all: Database.Statement<[], unknown[]>
  private readonly insertMany: (entries: readonly Entry[]) => void

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)')
    this.select = db.prepare<[Uint8Array], Uint8Array>('SELECT v FROM kv WHERE k = ?').pluck()
    this.all = db.prepare<[], unknown[]>('SELECT k, v FROM kv ORDER BY k').raw()
    this.insertMany = db.transaction((entries: readonly Entry[]) => {
      for (const [key, value] of entries) this.insert.run(key, value)
    })
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.insert.run(key, value)
  }

  async putMany(entries: readonly Entry[]): Promise<void> {
    this.insertMany(entries)
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.select.get(key)
  }

  scan(): Iterable<unknown> {
    return this.all.iterate()
  }

  async close(): Promise<void> {
    this.db.close()
  }
}

export default sqliteAdapter
