import type { VfsFile } from '@tinydb/vfs'

/**
 * Closes a handle that was only read through, without waiting: nothing depends on when, or whether,
 * the close succeeds, and waiting would add a trip through Node's thread pool to open.
 */
export function closeInBackground(file: VfsFile): void {
  file.close().catch(() => undefined)
}
