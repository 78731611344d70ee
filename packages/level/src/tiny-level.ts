import { AbstractLevel, type AbstractDatabaseOptions } from 'abstract-level'
import { open, TinyDbError, type BatchOperation, type Db, type OpenOptions } from '@tinydb/engine'
import { TinyLevelError, toLevelError } from './errors.js'
import { TinyIterator, TinyKeyIterator, TinyValueIterator, type IteratorSource, type PrivateIteratorOptions } from './iterators.js'
import { ScanCursor } from './scan-cursor.js'
import { TinySnapshot, explicitView, failedView, type ReadView } from './snapshot.js'
import { checkOpenOptions } from './store-presence.js'

/** Constructor options: Level's (encodings, `createIfMissing`, `errorIfExists`) and the engine's `open` options. */
export type TinyLevelOptions<K, V> = AbstractDatabaseOptions<K, V> & OpenOptions

type View = Uint8Array

/** What abstract-level passes to `_open` (constructor options merged with `open()` options). */
interface PrivateOpenOptions {
  readonly createIfMissing: boolean
  readonly errorIfExists: boolean
}

/** What abstract-level passes to `_get`, `_getMany`, `_has`, `_hasMany` (and `_getSync`) besides encodings. */
interface PrivateReadOptions {
  /** An explicit snapshot (`db.snapshot()`) to read from, if the caller passed one. */
  readonly snapshot?: unknown
}

/** One operation as abstract-level passes it to `_batch`: already encoded to bytes. */
interface PrivateBatchOperation {
  readonly type: 'put' | 'del'
  readonly key: View
  readonly value?: View
}

/**
 * What this database supports, honestly (abstract-level's manifest; the compliance suite reads it).
 * `getSync` is newer than the manifest's type declarations, hence a plain object.
 */
const MANIFEST = {
  encodings: { view: true },
  permanence: true,
  seek: true,
  has: true,
  getSync: true,
  createIfMissing: true,
  errorIfExists: true,
  implicitSnapshots: true,
  explicitSnapshots: true,
  signals: { iterators: true },
}

/** Keys deleted per batch by `clear()`: bounded so one range clear never makes one huge log record. */
const CLEAR_CHUNK = 1000

/**
 * TinyDB as an `abstract-level` database. The engine stores bytes, so the private API works in
 * the `view` (Uint8Array) format and abstract-level transcodes every other encoding (utf8, json,
 * buffer, custom) to it. Every write resolves when the engine's write is durable (with the
 * default `durability: 'sync'`), so `permanence` holds.
 *
 * Snapshots are the engine's: `db.snapshot()` wraps one engine snapshot, and each iterator (and
 * `clear()`) takes its own when created unless it is given one. The engine reads synchronously,
 * so `_get` and friends read the state at the moment they are called: their implicit snapshot.
 */
export class TinyLevel<KDefault = string, VDefault = string> extends AbstractLevel<View, KDefault, VDefault> {
  readonly location: string
  private readonly options: OpenOptions
  private db: Db | undefined

  constructor(location: string, options?: TinyLevelOptions<KDefault, VDefault>) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    // The engine's options are taken out here and fixed for the life of this instance; the rest
    // are Level's, which abstract-level forwards to `open()` and its hooks.
    const { durability, pageSize, cacheSize, checkpointThreshold, walSegmentSize, vfs, ...levelOptions } = options ?? {}
    super(MANIFEST, levelOptions)
    this.location = location
    this.options = definedOnly({ durability, pageSize, cacheSize, checkpointThreshold, walSegmentSize, vfs })
  }

  /** The engine store underneath, while open: for `checkpoint()`, `check()` and `stats()`. */
  get engine(): Db {
    if (this.db === undefined) throw new TinyLevelError('LEVEL_DATABASE_NOT_OPEN', `the TinyLevel at ${this.location} is not open`)
    return this.db
  }

  async _open(options: PrivateOpenOptions): Promise<void> {
    await checkOpenOptions(this.location, options, this.options.vfs)
    try {
      this.db = await open(this.location, this.options)
    } catch (error) {
      throw toLevelError(error)
    }
  }

  async _close(): Promise<void> {
    const db = this.db
    this.db = undefined
    try {
      await db?.close()
    } catch (error) {
      throw toLevelError(error)
    }
  }

  // The reads below run synchronously from the call to their end (the engine's getSync), so each
  // sees one state of the store — the one at the call — even without an explicit snapshot.

  async _get(key: View, options: PrivateReadOptions): Promise<View | undefined> {
    return this.read(() => this.view(options).getSync(key))
  }

  _getSync(key: View, options: PrivateReadOptions): View | undefined {
    return this.read(() => this.view(options).getSync(key))
  }

  async _getMany(keys: View[], options: PrivateReadOptions): Promise<(View | undefined)[]> {
    return this.read(() => {
      const view = this.view(options)
      return keys.map((key) => view.getSync(key))
    })
  }

  async _has(key: View, options: PrivateReadOptions): Promise<boolean> {
    return this.read(() => this.view(options).getSync(key) !== undefined)
  }

  async _hasMany(keys: View[], options: PrivateReadOptions): Promise<boolean[]> {
    return this.read(() => {
      const view = this.view(options)
      return keys.map((key) => view.getSync(key) !== undefined)
    })
  }

  /** Taken synchronously: a write made after `db.snapshot()` returned is not in it. */
  _snapshot(options: object): TinySnapshot {
    const store = this.engine
    return new TinySnapshot(options, store, this.read(() => store.snapshot()))
  }

  async _put(key: View, value: View): Promise<void> {
    await this.write(() => this.engine.put(key, value), [key])
  }

  async _del(key: View): Promise<void> {
    await this.write(() => this.engine.del(key), [key])
  }

  async _batch(operations: readonly PrivateBatchOperation[]): Promise<void> {
    const batch = operations.map((operation): BatchOperation =>
      operation.type === 'put'
        ? { type: 'put', key: operation.key, value: operation.value ?? new Uint8Array(0) }
        : { type: 'del', key: operation.key },
    )
    await this.write(() => this.engine.batch(batch), operations.map((operation) => operation.key))
  }

  /**
   * Deletes the keys of the range as they are in a snapshot — the caller's, or one taken when the
   * call starts — in batches of `CLEAR_CHUNK` keys. Not atomic. A key first written after the
   * clear started survives it; a key in the snapshot is deleted even if it was overwritten
   * meanwhile (deletes are by key, as in classic-level).
   */
  async _clear(options: PrivateIteratorOptions): Promise<void> {
    const source = this.iteratorSource(options)
    const cursor = new ScanCursor(source.view, options)
    try {
      let remaining = options.limit < 0 ? Infinity : options.limit
      while (remaining > 0) {
        const entries = await cursor.nextv(Math.min(CLEAR_CHUNK, remaining))
        if (entries.length === 0) return
        remaining -= entries.length
        await this.write(() => this.engine.batch(entries.map(([key]) => ({ type: 'del', key }))), [])
      }
    } finally {
      cursor.close()
      source.release()
    }
  }

  _iterator(options: PrivateIteratorOptions): TinyIterator {
    return new TinyIterator(this, this.iteratorSource(options), options)
  }

  _keys(options: PrivateIteratorOptions): TinyKeyIterator {
    return new TinyKeyIterator(this, this.iteratorSource(options), options)
  }

  _values(options: PrivateIteratorOptions): TinyValueIterator {
    return new TinyValueIterator(this, this.iteratorSource(options), options)
  }

  /** The explicit snapshot's view, else the live store; reads of the live store are one state each. */
  private view(options: PrivateReadOptions): ReadView {
    return options.snapshot == null ? this.engine : explicitView(options.snapshot, this.engine)
  }

  /**
   * What an iterator (or a clear) reads: the explicit snapshot it was given, or an implicit one
   * taken now, synchronously, so a write made after `db.iterator()` returned is never seen. A
   * snapshot that cannot be taken becomes an error at the first read.
   */
  private iteratorSource(options: PrivateIteratorOptions): IteratorSource {
    const noop = (): void => undefined
    try {
      if (options.snapshot != null) return { view: explicitView(options.snapshot, this.engine), release: noop }
      const snapshot = this.engine.snapshot()
      return { view: snapshot, release: () => snapshot.close() }
    } catch (error) {
      return { view: failedView(toLevelError(error)), release: noop }
    }
  }

  private read<T>(body: () => T): T {
    try {
      return body()
    } catch (error) {
      throw toLevelError(error)
    }
  }

  /**
   * Runs an engine write, converting its errors. For `TOO_LARGE` the engine does not say whether a
   * key or a value was over the limit, so the keys are probed with `getSync`, which checks key size
   * only: a key over the limit makes the error `LEVEL_INVALID_KEY`, otherwise `LEVEL_INVALID_VALUE`.
   */
  private async write(body: () => Promise<void>, keys: readonly View[]): Promise<void> {
    try {
      await body()
    } catch (error) {
      throw toLevelError(error, () => keys.some((key) => isTooLargeKey(this.db, key)))
    }
  }
}

function isTooLargeKey(db: Db | undefined, key: View): boolean {
  try {
    db?.getSync(key)
    return false
  } catch (error) {
    return TinyDbError.isInstance(error) && error.code === 'TOO_LARGE'
  }
}

/** `exactOptionalPropertyTypes`: an absent option is left out rather than set to undefined. */
function definedOnly(options: { [K in keyof OpenOptions]: OpenOptions[K] | undefined }): OpenOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as OpenOptions
}
