/**
 * One store, one process: `node worker.js (--store NAME | --adapter MODULE | --floor) --dir DIR
 * [--quick]` runs W1–W6 (or the raw fdatasync floor) and prints one line `RESULT {json}` on stdout.
 * Only the store under test is imported, so peak RSS is that store's and the harness's, nothing else's.
 */
import { parseArgs } from 'node:util'
import { adapterFor } from './built-in.js'
import { measureFloor } from './floor.js'
import { FULL_COUNTS, QUICK_COUNTS, runWorkloads } from './workloads.js'

export interface WorkerResult {
  readonly name: string
  readonly describe: string
  readonly figures: Record<string, number>
}

export { BUILT_IN } from './built-in.js'

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
