import { open } from '@tinydb/engine'
import type { Db, OpenOptions } from '@tinydb/engine'

/**
 * Opens the store (which runs recovery), hands it to `use`, and closes it, also when `use` throws.
 * A failure to close after a successful `use` is reported: close checkpoints, and a checkpoint that
 * could not be made durable is something the user must hear about.
 */
export async function withStore<T>(dir: string, use: (db: Db) => Promise<T>, options?: OpenOptions): Promise<T> {
  const db = await open(dir, options)
  let result: T
  try {
    result = await use(db)
  } catch (error) {
    await db.close().catch(() => undefined)
    throw error
  }
  await db.close()
  return result
}
