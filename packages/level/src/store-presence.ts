import { readdir } from 'node:fs/promises'
import type { OpenOptions } from '@tinydb/engine'

/** The I/O port the engine will use; absent means the real file system. */
type Vfs = NonNullable<OpenOptions['vfs']>

/**
 * Whether `location` holds a store, for Level's `createIfMissing: false` and `errorIfExists: true`.
 * The engine creates a store on open and has no "open existing only" mode, so the adapter decides
 * before opening: a missing or empty directory holds no store; a directory with any entry counts
 * as holding one (the adapter does not look inside: the file names are the engine's business).
 * The check and the open are not atomic; the engine's directory lock still keeps a second writer out.
 */
export async function storeExists(location: string, vfs?: Vfs): Promise<boolean> {
  if (vfs !== undefined) return (await vfs.exists(location)) && (await vfs.readdir(location)).length > 0
  try {
    return (await readdir(location)).length > 0
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}

/** Throws the reason a store may not be opened with these Level open options, if there is one. */
export async function checkOpenOptions(
  location: string,
  options: { readonly createIfMissing: boolean; readonly errorIfExists: boolean },
  vfs?: Vfs,
): Promise<void> {
  if (options.createIfMissing && !options.errorIfExists) return
  const exists = await storeExists(location, vfs)
  if (!exists && !options.createIfMissing) {
    throw new Error(`the TinyDB store at ${location} does not exist (createIfMissing is false)`)
  }
  if (exists && options.errorIfExists) {
    throw new Error(`the TinyDB store at ${location} exists (errorIfExists is true)`)
  }
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code
}
