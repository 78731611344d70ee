/**
 * One store's concurrency sweep, in a process of its own (as compare's workers): `node
 * sweep-worker.js (--store NAME | --adapter MODULE | --floor) --dir DIR --writers 1,4,16 --ops N
 * --seconds S` prints one line `SWEEP {json}` on stdout: `{ name, describe, points }`.
 */
import { parseArgs } from 'node:util'
import { adapterFor } from '../compare/built-in.js'
import type { SweepPoint } from './results.js'
import { FLOOR } from './results.js'
import { sweep } from './sweep.js'

export interface SweepResult {
  readonly name: string
  readonly describe: string
  readonly points: readonly SweepPoint[]
}

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    adapter: { type: 'string' },
    floor: { type: 'boolean', default: false },
    dir: { type: 'string' },
    writers: { type: 'string', default: '1,4,16,64,256' },
    ops: { type: 'string', default: '4000' },
    seconds: { type: 'string', default: '3' },
  },
})
if (values.dir === undefined) throw new Error('sweep-worker: --dir is required')
const writers = values.writers.split(',').map(Number)
const budget = { ops: Number(values.ops), seconds: Number(values.seconds) }
let result: SweepResult
if (values.floor === true) {
  result = { name: FLOOR, describe: 'one write of N frames + fdatasync per round', points: await sweep(undefined, values.dir, writers, budget) }
} else {
  const adapter = await adapterFor(values.store, values.adapter)
  result = { name: adapter.name, describe: adapter.describe, points: await sweep(adapter, values.dir, writers, budget) }
}
process.stdout.write(`SWEEP ${JSON.stringify(result)}\n`)
