/**
 * The store adapter interface of `compare`: what the harness needs from a store to run W1–W6. Each
 * built-in peer (TinyDB, lmdb, classic-level, better-sqlite3) implements it in `stores/`; an
 * experimenter writes one more as an ES module and passes it with `--adapter path/to/module.js`
 * (see README.md, "Adding a store"). The module's default export (or its export named `adapter`) is
 * a `StoreAdapter`.
 *
 * Every write call must resolve only once its data is durable (survives power loss) in the way the
 * store's own documentation promises; the harness trusts the adapter on this, so say in `describe`
 * what durability the adapter configures.
 */
export interface StoreAdapter {
  /** Column name in the table (short: `tinydb`, `lmdb`, …). */
  readonly name: string
  /** One line: the library and the settings that make it durable. */
  readonly describe: string
  /** Opens (creating if missing) a store in `dir`, an empty directory the harness owns. */
  open(dir: string): Promise<StoreHandle>
}

export type Entry = readonly [key: Uint8Array, value: Uint8Array]

export interface StoreHandle {
  /** One durable put; W1 awaits each, W2 keeps 64 in flight. */
  put(key: Uint8Array, value: Uint8Array): Promise<void>
  /** Writes all `entries` as one durable, atomic batch (W3). */
  putMany(entries: readonly Entry[]): Promise<void>
  /**
   * A point read (W4, W6). Return the value itself when the store can read without a promise (the
   * harness then never awaits, as lmdb-js or better-sqlite3 are used), or a promise of it.
   */
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>
  /** Every entry in key order (W5); the harness only counts them, so entries must be fully read. */
  scan(): Iterable<unknown> | AsyncIterable<unknown>
  close(): Promise<void>
  /**
   * Optional, for a store that times its own durable log writes (TinyDB: `stats().wal.groups`):
   * how many it made since open, and the milliseconds they took. `commit-path` then splits each
   * round's time into the disk's share and the rest; `compare` does not use it.
   */
  logWrites?(): LogWrites
}

export interface LogWrites {
  readonly writes: number
  readonly ms: number
}

export function isStoreAdapter(value: unknown): value is StoreAdapter {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<Record<keyof StoreAdapter, unknown>>
  return typeof candidate.name === 'string' && typeof candidate.open === 'function'
}

/** Imports an adapter module: its default export, or its export named `adapter`. */
export async function loadAdapter(specifier: string): Promise<StoreAdapter> {
  const module = (await import(specifier)) as { default?: unknown; adapter?: unknown }
  const found = isStoreAdapter(module.default) ? module.default : module.adapter
  if (!isStoreAdapter(found)) {
    throw new Error(`${specifier} exports no store adapter (a default export or \`adapter\` with \`name\` and \`open(dir)\`)`)
  }
  return found
}
