/**
 * One store, one process: `node worker.js (--store NAME | --adapter MODULE | --floor) --dir DIR
 * [--quick]` runs W1–W6 (or the raw fdatasync floor) and prints one line `RESULT {json}` on stdout.
 * Only the store under test is imported, so peak RSS is that store's and the harness's, nothing else's.
 */
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadAdapter, type StoreAdapter } from './adapter.js'
import { measureFloor } from './floor.js'
import { FULL_COUNTS, QUICK_COUNTS, runWorkloads } from './workloads.js'

export interface WorkerResult {
  readonly name: string
  readonly describe: string
  readonly figures: Record<string, number>
}

/** The built-in stores, imported only by the worker that runs them. */
export const BUILT_IN: Record<string, string> = {
  tinydb: './stores/tinydb.js',
  lmdb: './stores/lmdb.js',
  leveldb: './stores/classic-level.js',
  sqlite: './stores/sqlite.js',
}

async function adapterFor(store: string | undefined, module: string | undefined): Promise<StoreAdapter> {
  if (module !== undefined) return loadAdapter(pathToFileURL(resolve(module)).href)
  const path = store === undefined ? undefined : BUILT_IN[store]
  if (path === undefined) throw new Error(`unknown store ${String(store)}; built in: ${Object.keys(BUILT_IN).join(', ')}`)
  return loadAdapter(new URL(path, import.meta.url).href)
}

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    adapter: { type: 'string' },
    floor: { type: 'boolean', default: false },
    dir: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
})
if (values.dir === undefined) throw new Error('worker: --dir is required')
const counts = values.quick === true ? QUICK_COUNTS : FULL_COUNTS
let result: WorkerResult
if (values.floor === true) {
  result = { name: 'floor', describe: 'preallocated append + fdatasync', figures: await measureFloor(values.dir, counts.w1Puts) }
} else {
  const adapter = await adapterFor(values.store, values.adapter)
  result = { name: adapter.name, describe: adapter.describe, figures: await runWorkloads(adapter, values.dir, counts) }
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
