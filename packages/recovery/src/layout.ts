import { join } from 'node:path/posix'

/**
 * The files of a store directory. Paths are POSIX-joined so the same layout works on SimVfs.
 *
 * | path          | what                                             |
 * |---------------|--------------------------------------------------|
 * | `LOCK`        | the single-writer lock (holds the owner's pid)   |
 * | `data.tdb`    | the page file (see @tinydb/pager FORMAT.md)      |
 * | `wal/`        | the log segments (see @tinydb/wal FORMAT.md)     |
 */
export interface StoreLayout {
  readonly dir: string
  readonly lockPath: string
  readonly dataPath: string
  readonly walDir: string
}

export function storeLayout(dir: string): StoreLayout {
  return {
    dir,
    lockPath: join(dir, 'LOCK'),
    dataPath: join(dir, 'data.tdb'),
    walDir: join(dir, 'wal'),
  }
}
