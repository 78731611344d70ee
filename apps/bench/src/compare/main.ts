/**
 * `compare`: W1–W6 of issue 3 on TinyDB and its peers, each store in its own process, median of
 * `--runs` runs, next to the raw fdatasync floor measured in the same run. See README.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { FLOOR_RECORD_SIZE } from './floor.js'
import { formatTable, medianFigures } from './summary.js'
import type { WorkerResult } from './worker.js'
import { FULL_COUNTS, QUICK_COUNTS } from './workloads.js'
import { positiveInteger } from '../integer-option.js'

const USAGE = `usage: node dist/compare/main.js [options]       (root: pnpm bench:compare [-- options])
  --runs N          runs per store; the table shows the median (default 3)
  --quick           tiny op counts (proves the harness works; the figures mean nothing)
  --stores LIST     comma-separated built-in stores (default tinydb,lmdb,leveldb,sqlite)
  --adapter MODULE  also run the store adapter exported by MODULE (repeatable; see README.md)
  --dir DIR         where the stores go (default: OS temp dir; must be a real disk, not tmpfs);
                    also $TINYDB_BENCH_DIR
  --json FILE       write every run's figures as JSON (default: compare-results.json)`

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url))

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    stores: { type: 'string', default: 'tinydb,lmdb,leveldb,sqlite' },
    adapter: { type: 'string', multiple: true, default: [] },
    dir: { type: 'string' },
    json: { type: 'string', default: 'compare-results.json' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
const runs = positiveInteger('--runs', values.runs)

interface Job {
  readonly label: string
  readonly args: readonly string[]
}
const jobs: Job[] = [
  { label: 'floor', args: ['--floor'] },
  ...values.stores.split(',').filter(Boolean).map((store) => ({ label: store, args: ['--store', store] })),
  ...values.adapter.map((module) => ({ label: module, args: ['--adapter', resolve(module)] })),
]

const loadBefore = loadavg()
const root = await mkdtemp(join(values.dir ?? process.env['TINYDB_BENCH_DIR'] ?? tmpdir(), 'tinydb-compare-'))
const results = new Map<string, WorkerResult[]>()
try {
  for (let run = 0; run < runs; run++) {
    // Rotate the order each run, so no store always runs right after the same neighbour.
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[(index + run) % jobs.length] as Job
      const dir = await mkdtemp(join(root, 'store-'))
      process.stderr.write(`run ${run + 1}/${runs}: ${job.label} … `)
      const result = runWorker(job, dir)
      process.stderr.write('done\n')
      await rm(dir, { recursive: true, force: true })
      const list = results.get(result.name) ?? []
      list.push(result)
      results.set(result.name, list)
    }
  }
} finally {
  await rm(root, { recursive: true, force: true })
}

const medians: Record<string, Record<string, number>> = {}
for (const [name, list] of results) medians[name] = medianFigures(list.map((result) => result.figures))
const stores = [...results.keys()].filter((name) => name !== 'floor')
const floor = medians['floor'] ?? {}
const counts = values.quick === true ? QUICK_COUNTS : FULL_COUNTS

console.log(`\ncompare: median of ${runs} run(s), each store in its own process; ${cpus().length} cores, load ${loadBefore.map((load) => load.toFixed(2)).join(' ')}`)
console.log(`counts: ${JSON.stringify(counts)}, keys 16 bytes, values 128 bytes\n`)
for (const line of formatTable(medians, stores)) console.log(line)
const floorP50 = floor['floor.p50Ms'] ?? Number.NaN
console.log(
  `\nfloor (preallocated append of a ${FLOOR_RECORD_SIZE}-byte frame + fdatasync, awaited one at a time):` +
    ` p50 ${floorP50.toFixed(3)} ms, ${Math.round(floor['floor.opsPerSec'] ?? Number.NaN)} ops/s`,
)
for (const store of stores) {
  const p50 = medians[store]?.['w1.p50Ms'] ?? Number.NaN
  console.log(`${store}: W1 p50 = ${(p50 / floorP50).toFixed(2)} × floor p50`)
}
for (const [name, list] of results) console.log(`${name}: ${list[0]?.describe ?? ''}`)

const report = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform, loadBefore, loadAfter: loadavg() },
  options: { runs, quick: values.quick, counts, floorRecordSize: FLOOR_RECORD_SIZE },
  medians,
  runs: Object.fromEntries([...results].map(([name, list]) => [name, list])),
  table: formatTable(medians, stores),
}
await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`)
console.log(`\nwrote ${values.json}`)

function runWorker(job: Job, dir: string): WorkerResult {
  const args = [WORKER, ...job.args, '--dir', dir, ...(values.quick === true ? ['--quick'] : [])]
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] })
  const line = child.stdout.split('\n').find((text) => text.startsWith('RESULT '))
  if (child.status !== 0 || line === undefined) {
    throw new Error(`${job.label} failed (exit ${String(child.status ?? child.signal)}):\n${child.stderr}${child.stdout}`)
  }
  return JSON.parse(line.slice('RESULT '.length)) as WorkerResult
}
