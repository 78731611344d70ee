import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadAdapter, type StoreAdapter } from './adapter.js'

/** The built-in stores, imported only by the worker process that runs them. */
export const BUILT_IN: Record<string, string> = {
  tinydb: './stores/tinydb.js',
  lmdb: './stores/lmdb.js',
  leveldb: './stores/classic-level.js',
  sqlite: './stores/sqlite.js',
}

/** The adapter of a built-in `store` name, or of the adapter `module` (a path) when given. */
export async function adapterFor(store: string | undefined, module: string | undefined): Promise<StoreAdapter> {
  if (module !== undefined) return loadAdapter(pathToFileURL(resolve(module)).href)
  const path = store === undefined ? undefined : BUILT_IN[store]
  if (path === undefined) throw new Error(`unknown store ${String(store)}; built in: ${Object.keys(BUILT_IN).join(', ')}`)
  return loadAdapter(new URL(path, import.meta.url).href)
}
