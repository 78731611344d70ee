import { AbstractSnapshot } from 'abstract-level'
import type { Db, Snapshot } from '@tinydb/engine'
import { TinyLevelError } from './errors.js'

/** An engine snapshot (`db.snapshot()`): the store frozen as it was, until `close()`. */
export type EngineSnapshot = Snapshot

/** What reads go to: the live store, or an engine snapshot. Both read synchronously. */
export type ReadView = Pick<Db, 'getSync' | 'scan'>

/**
 * abstract-level's type declarations leave out the constructor (and `_close`), which the private
 * API requires: `options.owner` is the database (or sublevel) that closes the snapshot on close().
 */
const SnapshotBase = AbstractSnapshot as unknown as new (options: object) => AbstractSnapshot

/**
 * `db.snapshot()`: a token over one engine snapshot, passed back to reads as `options.snapshot`.
 * abstract-level counts the reads in flight (`ref`/`unref`) and calls `_close` once, after the last
 * one, so the engine snapshot is never read after its pages were released.
 */
export class TinySnapshot extends SnapshotBase {
  constructor(
    options: object,
    /** The store it was taken from: a snapshot is only valid for reads of that store. */
    readonly store: Db,
    readonly view: EngineSnapshot,
  ) {
    super(options)
  }

  async _close(): Promise<void> {
    this.view.close()
  }
}

/**
 * The view a read with `options.snapshot` goes to: the explicit snapshot's own. A snapshot from
 * another database would silently read that database, so it is refused.
 */
export function explicitView(snapshot: unknown, store: Db): EngineSnapshot {
  if (snapshot instanceof TinySnapshot && snapshot.store === store) return snapshot.view
  throw new TinyLevelError('LEVEL_INVALID_VALUE', 'options.snapshot must be a snapshot of this database (db.snapshot())')
}

/**
 * A view whose reads all throw `error`: an iterator whose implicit snapshot could not be taken
 * (e.g. a store refusing reads) reports that at its first read, as a read error, rather than from
 * `db.iterator()` itself, which Level code does not expect to throw.
 */
export function failedView(error: unknown): ReadView {
  const fail = (): never => {
    throw error
  }
  return { getSync: fail, scan: fail }
}
