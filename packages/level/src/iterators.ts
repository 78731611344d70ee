import {
  AbstractIterator,
  AbstractKeyIterator,
  AbstractValueIterator,
  type AbstractIteratorOptions,
  type AbstractKeyIteratorOptions,
  type AbstractValueIteratorOptions,
} from 'abstract-level'
import { ScanCursor, type LevelRange } from './scan-cursor.js'
import type { ReadView } from './snapshot.js'

/**
 * The options abstract-level passes to `_iterator`, `_keys` and `_values`: range bounds already
 * encoded to bytes (the `view` format), `reverse` and `limit` normalized (`limit` -1 = none).
 */
export type PrivateIteratorOptions = LevelRange & {
  readonly limit: number
  readonly keys?: boolean
  readonly values?: boolean
  /** An explicit snapshot (`db.snapshot()`) to read from, if the caller passed one. */
  readonly snapshot?: unknown
  readonly signal?: AbortSignal
}

/**
 * What an iterator reads: a frozen view (its own implicit snapshot, or an explicit one), and what
 * to do when it closes (release its implicit snapshot; nothing for an explicit one, which its
 * owner closes).
 */
export interface IteratorSource {
  readonly view: ReadView
  readonly release: () => void
}

type View = Uint8Array
type Entry = [key: View | undefined, value: View | undefined]

// The iterators never read `db` back; they only need abstract-level to hold it (for encodings and
// for closing the iterator when the database closes). `object` keeps the engine's Db off the types.
type Owner = object

/**
 * abstract-level counts entries and stops calling `_next`/`_nextv`/`_all` at `limit` (and caps a
 * `_nextv` size at what remains of it), so the iterators only read what they are asked for. Each
 * reads one frozen view, so it sees the store as it was when it was created (or as the explicit
 * snapshot it was given); its implicit snapshot keeps freed pages from reuse until `close()`.
 */
export class TinyIterator extends AbstractIterator<Owner, View, View> {
  private readonly cursor: ScanCursor
  private readonly keys: boolean
  private readonly values: boolean

  constructor(owner: Owner, private readonly source: IteratorSource, options: PrivateIteratorOptions) {
    super(owner, options as unknown as AbstractIteratorOptions<View, View>)
    this.cursor = new ScanCursor(source.view, options, options.signal)
    this.keys = options.keys !== false
    this.values = options.values !== false
  }

  async _next(): Promise<Entry | undefined> {
    const entry = await this.cursor.next()
    return entry === undefined ? undefined : this.shape(entry)
  }

  async _nextv(size: number): Promise<Entry[]> {
    return (await this.cursor.nextv(size)).map((entry) => this.shape(entry))
  }

  async _all(): Promise<Entry[]> {
    return (await this.cursor.nextv(this.limit - this.count)).map((entry) => this.shape(entry))
  }

  _seek(target: View): void {
    this.cursor.seek(target)
  }

  async _close(): Promise<void> {
    this.cursor.close()
    this.source.release()
  }

  private shape([key, value]: [View, View]): Entry {
    return [this.keys ? key : undefined, this.values ? value : undefined]
  }
}

export class TinyKeyIterator extends AbstractKeyIterator<Owner, View> {
  private readonly cursor: ScanCursor

  constructor(owner: Owner, private readonly source: IteratorSource, options: PrivateIteratorOptions) {
    super(owner, options as unknown as AbstractKeyIteratorOptions<View>)
    this.cursor = new ScanCursor(source.view, options, options.signal)
  }

  async _next(): Promise<View | undefined> {
    return (await this.cursor.next())?.[0]
  }

  async _nextv(size: number): Promise<View[]> {
    return (await this.cursor.nextv(size)).map(([key]) => key)
  }

  async _all(): Promise<View[]> {
    return (await this.cursor.nextv(this.limit - this.count)).map(([key]) => key)
  }

  _seek(target: View): void {
    this.cursor.seek(target)
  }

  async _close(): Promise<void> {
    this.cursor.close()
    this.source.release()
  }
}

export class TinyValueIterator extends AbstractValueIterator<Owner, View, View> {
  private readonly cursor: ScanCursor

  constructor(owner: Owner, private readonly source: IteratorSource, options: PrivateIteratorOptions) {
    super(owner, options as unknown as AbstractValueIteratorOptions<View, View>)
    this.cursor = new ScanCursor(source.view, options, options.signal)
  }

  async _next(): Promise<View | undefined> {
    return (await this.cursor.next())?.[1]
  }

  async _nextv(size: number): Promise<View[]> {
    return (await this.cursor.nextv(size)).map(([, value]) => value)
  }

  async _all(): Promise<View[]> {
    return (await this.cursor.nextv(this.limit - this.count)).map(([, value]) => value)
  }

  _seek(target: View): void {
    this.cursor.seek(target)
  }

  async _close(): Promise<void> {
    this.cursor.close()
    this.source.release()
  }
}
