/**
 * `pnpm bench --report DIR`: runs compare's W1–W6 (through `compare/main.js`, unchanged) and a
 * concurrency sweep of durable puts (each store in its own process, as compare does), then writes
 * results.json, results.md, SVG charts and index.html into DIR. `--from results.json` only redraws.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { arch, cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { FLOOR_RECORD_SIZE } from '../compare/floor.js'
import { median } from '../compare/summary.js'
import type { WorkerResult } from '../compare/worker.js'
import { FULL_COUNTS, QUICK_COUNTS } from '../compare/workloads.js'
import { positiveInteger } from '../integer-option.js'
import { FLOOR, parseReport, REPORT_FORMAT, REPORT_VERSION, type BenchReport, type SweepPoint } from './results.js'
import type { SweepResult } from './sweep-worker.js'
import { writeReport } from './write.js'

const USAGE = `usage: node dist/report/main.js --report DIR [options]     (root: pnpm bench --report DIR [options])
  --report DIR        write results.json, results.md, latency/throughput/ratio .svg and index.html here
  --from FILE         redraw DIR from an earlier results.json; runs nothing
  --runs N            runs of every store; figures are medians (default 1)
  --quick             tiny counts (proves the pipeline works; the figures mean nothing)
  --stores LIST       built-in stores (default tinydb,lmdb,leveldb,sqlite)
  --adapter MODULE    also run this StoreAdapter module (repeatable; see README.md)
  --writers LIST      concurrent writers of the sweep (default 1,4,16,64,256)
  --sweep-ops N       durable puts per sweep point (default 10000) ...
  --sweep-seconds S   ... or fewer, once S seconds have passed (default 2)
  --dir DIR           where the stores go (default: OS temp dir; a real disk, not tmpfs); also $TINYDB_BENCH_DIR
Relative paths are taken from the directory pnpm was started in ($INIT_CWD), else the current one.`

const COMPARE = fileURLToPath(new URL('../compare/main.js', import.meta.url))
const SWEEP_WORKER = fileURLToPath(new URL('./sweep-worker.js', import.meta.url))

const { values } = parseArgs({
  options: {
    report: { type: 'string' },
    from: { type: 'string' },
    runs: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    stores: { type: 'string', default: 'tinydb,lmdb,leveldb,sqlite' },
    adapter: { type: 'string', multiple: true, default: [] },
    writers: { type: 'string', default: '1,4,16,64,256' },
    'sweep-ops': { type: 'string', default: '10000' },
    'sweep-seconds': { type: 'string', default: '2' },
    dir: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help === true || values.report === undefined) {
  console.log(USAGE)
  process.exit(values.help === true ? 0 : 2)
}
// Under `pnpm bench`, the process runs in apps/bench; paths the user typed are relative to where they typed them.
const base = process.env['INIT_CWD'] ?? process.cwd()
const outDir = resolve(base, values.report)

if (values.from !== undefined) {
  const report = parseReport(await readFile(resolve(base, values.from), 'utf8'))
  for (const path of await writeReport(report, outDir)) console.log(`wrote ${path}`)
  process.exit(0)
}

const runs = positiveInteger('--runs', values.runs)
const writers = values.writers.split(',').map((text) => positiveInteger('--writers', text))
const opsPerPoint = positiveInteger('--sweep-ops', values['sweep-ops'])
const secondsPerPoint = Number(values['sweep-seconds'])
if (!(secondsPerPoint > 0)) throw new Error(`--sweep-seconds expects a positive number, got ${values['sweep-seconds']}`)
const adapters = values.adapter.map((module) => resolve(base, module))
const stores = values.stores.split(',').filter(Boolean)

const loadBefore = loadavg()
const root = await mkdtemp(join(values.dir === undefined ? (process.env['TINYDB_BENCH_DIR'] ?? tmpdir()) : resolve(base, values.dir), 'tinydb-report-'))
let report: BenchReport
try {
  // (a) W1–W6 and the floor: compare's own harness, its JSON read back.
  const compareJson = join(root, 'compare.json')
  const compareArgs = [COMPARE, '--runs', String(runs), '--stores', stores.join(','), '--dir', root, '--json', compareJson]
  for (const module of adapters) compareArgs.push('--adapter', module)
  if (values.quick === true) compareArgs.push('--quick')
  run('compare', compareArgs, 'inherit')
  const compared = JSON.parse(await readFile(compareJson, 'utf8')) as {
    medians: Record<string, Record<string, number>>
    runs: Record<string, WorkerResult[]>
  }

  // (b) the sweep: one process per store per run, the order rotating each run as compare's does.
  const jobs = [{ label: FLOOR, args: ['--floor'] }, ...stores.map((store) => ({ label: store, args: ['--store', store] })), ...adapters.map((module) => ({ label: module, args: ['--adapter', module] }))]
  const swept = new Map<string, SweepPoint[][]>()
  for (let turn = 0; turn < runs; turn++) {
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[(index + turn) % jobs.length]!
      const dir = await mkdtemp(join(root, 'sweep-'))
      process.stderr.write(`sweep ${turn + 1}/${runs}: ${job.label} … `)
      const args = [SWEEP_WORKER, ...job.args, '--dir', dir, '--writers', writers.join(','), '--ops', String(opsPerPoint), '--seconds', String(secondsPerPoint)]
      const line = run(job.label, args, 'pipe').split('\n').find((text) => text.startsWith('SWEEP '))
      if (line === undefined) throw new Error(`${job.label}: the sweep worker printed no SWEEP line`)
      const result = JSON.parse(line.slice('SWEEP '.length)) as SweepResult
      process.stderr.write('done\n')
      await rm(dir, { recursive: true, force: true })
      swept.set(result.name, [...(swept.get(result.name) ?? []), [...result.points]])
    }
  }

  const floor = compared.medians[FLOOR] ?? {}
  const names = Object.keys(compared.medians).filter((name) => name !== FLOOR)
  report = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      os: `${type()} ${release()} ${arch()}`,
      totalMemoryMb: totalmem() / 1024 / 1024,
      loadBefore,
      loadAfter: loadavg(),
    },
    options: { runs, quick: values.quick === true, counts: values.quick === true ? QUICK_COUNTS : FULL_COUNTS, floorRecordSize: FLOOR_RECORD_SIZE, writers, opsPerPoint, secondsPerPoint },
    stores: names.map((name) => ({ name, describe: compared.runs[name]?.[0]?.describe ?? '' })),
    compare: Object.fromEntries(names.map((name) => [name, compared.medians[name] ?? {}])),
    floor: {
      opsPerSec: floor['floor.opsPerSec'] ?? Number.NaN,
      p50Ms: floor['floor.p50Ms'] ?? Number.NaN,
      p90Ms: floor['floor.p90Ms'] ?? Number.NaN,
      p99Ms: floor['floor.p99Ms'] ?? Number.NaN,
      p999Ms: floor['floor.p999Ms'] ?? Number.NaN,
    },
    sweep: [...swept.entries()].flatMap(([name, perRun]) => medianPoints(name, perRun)),
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
for (const path of await writeReport(report, outDir)) console.log(`wrote ${path}`)

/** Per writer count, the median of each figure over the runs. */
function medianPoints(store: string, perRun: readonly SweepPoint[][]): SweepPoint[] {
  return writers.map((count) => {
    const points = perRun.flatMap((points) => points.filter((point) => point.writers === count))
    const of = (pick: (point: SweepPoint) => number): number => median(points.map(pick))
    return { store, writers: count, ops: of((point) => point.ops), opsPerSec: of((point) => point.opsPerSec), p50Ms: of((point) => point.p50Ms), p99Ms: of((point) => point.p99Ms) }
  })
}

function run(label: string, args: readonly string[], stdout: 'inherit' | 'pipe'): string {
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', stdout, stdout === 'pipe' ? 'pipe' : 'inherit'] })
  if (child.status !== 0) throw new Error(`${label} failed (exit ${String(child.status ?? child.signal)})${stdout === 'pipe' ? `:\n${child.stderr}${child.stdout}` : ''}`)
  return child.stdout ?? ''
}
