/**
 * `scale`: goals 3 and 4 of issue 3 on TinyDB alone. Loads N keys (16-byte keys, 128-byte values,
 * default options) in durable batches, measures random gets at 100k keys and at N, peak RSS and
 * the files' size; then W2's tail latency with background checkpoints vs without. See README.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { open, type OpenOptions } from '@tinydb/engine'
import { LATENCY_VARIANTS, measureLatency, type LatencyFigures } from './checkpoint-latency.js'
import { load, randomGets, RssMeter, type GetPhase, type LoadPhase } from './load.js'
import { bestGetsPerSec, measureMissFloor, type MissFloor } from './miss-floor.js'
import { median } from '../compare/summary.js'
import { nonNegativeInteger, positiveInteger } from '../integer-option.js'

const USAGE = `usage: node dist/scale/main.js [options]
  --keys N            keys to load (default 1000000; the issue's goal is 10000000)
  --batch N           puts per durable batch (default 1000)
  --cache-size MIB    the engine's cacheSize in MiB (default: the engine's default, 64; goal 3's
                      RSS bound is this plus 64 MiB). A cache that holds the whole tree measures
                      the in-memory structure alone: no get reads the file
  --gets N            random gets per timed pass, at 100k keys and at N (default 200000)
  --passes N          timed passes of gets at each size; the fastest counts (default 3)
  --latency-runs N    runs of each checkpoint-latency variant, alternating (default 3; 0 skips it)
  --latency-keys N    keys loaded before the latency run's puts (default 100000)
  --latency-puts N    puts of the latency run, from 64 writers (default 20000)
  --skip-load         only the checkpoint-latency measurement
  --checkpoint-flush-after BYTES
                      the engine's checkpointFlushAfter for every store of the run (default: the
                      engine's, 256 KiB; 0 syncs a checkpoint's pages once, as before it existed)
  --dir DIR           where the stores go (default: OS temp dir; a real disk, not tmpfs)
  --json FILE         write the figures as JSON (default: scale-results.json)`

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    'cache-size': { type: 'string' },
    gets: { type: 'string', default: '200000' },
    passes: { type: 'string', default: '3' },
    'latency-runs': { type: 'string', default: '3' },
    'latency-keys': { type: 'string', default: '100000' },
    'latency-puts': { type: 'string', default: '20000' },
    'skip-load': { type: 'boolean', default: false },
    'checkpoint-flush-after': { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'string', default: 'scale-results.json' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
const keys = positiveInteger('--keys', values.keys)
const batchSize = positiveInteger('--batch', values.batch)
const gets = positiveInteger('--gets', values.gets)
const passes = positiveInteger('--passes', values.passes)
const latencyRuns = nonNegativeInteger('--latency-runs', values['latency-runs'])
const latencyCounts = { preload: positiveInteger('--latency-keys', values['latency-keys']), puts: positiveInteger('--latency-puts', values['latency-puts']), writers: 64 }
const SMALL = Math.min(100_000, keys)
const GET_SEED = 0x5eed
const MiB = 2 ** 20
/** The engine's default `cacheSize`. */
const DEFAULT_CACHE_SIZE = 64 * MiB
/** The page cache goal 3 bounds peak RSS by (plus 64 MiB); `open`'s own default unless `--cache-size` is given. */
const cacheOption = values['cache-size'] === undefined ? undefined : positiveInteger('--cache-size', values['cache-size']) * MiB
const CACHE_SIZE = cacheOption ?? DEFAULT_CACHE_SIZE
const flushOption = values['checkpoint-flush-after']
/** Options every store of the run is opened with, beside each phase's own. */
const storeOptions: OpenOptions = flushOption === undefined ? {} : { checkpointFlushAfter: nonNegativeInteger('--checkpoint-flush-after', flushOption) }

const loadBefore = loadavg()
const root = await mkdtemp(join(values.dir ?? process.env['TINYDB_BENCH_DIR'] ?? tmpdir(), 'tinydb-scale-'))
const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform, loadBefore },
  options: { keys, batchSize, cacheSize: CACHE_SIZE, cacheSizeDefault: cacheOption === undefined, gets, passes, latencyRuns, latencyCounts, storeOptions },
}
const lines: string[] = []
try {
  if (values['skip-load'] !== true) {
    const scale = await runScale(join(root, 'scale'))
    report['scale'] = scale
    lines.push(...scaleTable(scale))
  }
  if (latencyRuns > 0) {
    const latency = await runLatency(root)
    report['latency'] = latency
    lines.push('', ...latencyTable(latency))
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
report['machine'] = { ...(report['machine'] as object), loadAfter: loadavg() }
console.log(`\nscale: ${cpus().length} cores, load ${loadBefore.map((load) => load.toFixed(2)).join(' ')} → ${loadavg().map((load) => load.toFixed(2)).join(' ')}\n`)
for (const line of lines) console.log(line)
await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`)
console.log(`\nwrote ${values.json}`)

interface ScaleFigures {
  readonly loadSmall: LoadPhase
  readonly loadAll: LoadPhase
  readonly getsSmall: GetPhase
  readonly getsAll: GetPhase
  readonly closeMs: number
  readonly peakRssMb: number
  readonly maxRssMb: number
  readonly dataFileMb: number
  readonly walMb: number
  readonly pageCount: number
  readonly freePages: number
  readonly treeDepth: number
  readonly checkpoints: number
  readonly pageSize: number
  readonly missFloor: MissFloor
  /** Peak RSS of a `node` process that does nothing, on this machine: what goal 3's 64 MiB must hold besides TinyDB's own. */
  readonly idleNodeRssMb: number
  /**
   * RSS of a `node` that has loaded TinyDB, opened a store, written a key and checkpointed it (so
   * its durable-write worker runs): what a store costs before its data does (store-at-rest.ts).
   */
  readonly storeAtRestRssMb: number
}

async function runScale(dir: string): Promise<ScaleFigures> {
  const rss = new RssMeter()
  const db = await open(dir, cacheOption === undefined ? storeOptions : { ...storeOptions, cacheSize: cacheOption })
  process.stderr.write(`scale: loading ${keys.toLocaleString('en-US')} keys in batches of ${batchSize}, cacheSize ${CACHE_SIZE / MiB} MiB${cacheOption === undefined ? ' (default)' : ''}, into ${dir}\n`)
  const loadSmall = await load(db, 0, SMALL, batchSize, rss)
  const getsSmall = randomGets(db, SMALL, gets, passes, GET_SEED, rss)
  process.stderr.write(`  ${SMALL.toLocaleString('en-US')} keys: ${Math.round(getsSmall.opsPerSec).toLocaleString('en-US')} gets/s\n`)
  const rest = await load(db, SMALL, keys, batchSize, rss)
  const loadAll: LoadPhase = { keys, seconds: loadSmall.seconds + rest.seconds, opsPerSec: keys / (loadSmall.seconds + rest.seconds) }
  const getsAll = randomGets(db, keys, gets, passes, GET_SEED + 1, rss)
  process.stderr.write(`  ${keys.toLocaleString('en-US')} keys: ${Math.round(getsAll.opsPerSec).toLocaleString('en-US')} gets/s\n`)
  const stats = db.stats()
  const started = performance.now()
  await db.close()
  const closeMs = performance.now() - started
  rss.sample()
  // Before the floor's page buffers (the size of the cache) are allocated, which are not the store's.
  const maxRssMb = process.resourceUsage().maxRSS / 1024
  const dataFile = join(dir, 'data.tdb')
  // Page buffers as many as the cache held, at most.
  const missFloor = measureMissFloor(dataFile, stats.pageSize, stats.pageCount, cacheHeldBytes(stats.pageCount, stats.pageSize), gets, GET_SEED + 2)
  return {
    loadSmall,
    loadAll,
    getsSmall,
    getsAll,
    closeMs,
    peakRssMb: rss.peakMb,
    maxRssMb,
    dataFileMb: (await stat(dataFile)).size / MiB,
    walMb: await directoryBytes(join(dir, 'wal')) / MiB,
    pageCount: stats.pageCount,
    freePages: stats.freePages,
    treeDepth: stats.tree.depth,
    checkpoints: stats.checkpoints.completed,
    pageSize: stats.pageSize,
    missFloor,
    idleNodeRssMb: idleNodeRssMb(),
    storeAtRestRssMb: await storeAtRestRssMb(`${dir}-at-rest`),
  }
}

/** What the cache can have held at most: all of it, or every page of the file when that is less (a cache larger than the file never fills). */
function cacheHeldBytes(pageCount: number, pageSize: number): number {
  return Math.min(CACHE_SIZE, pageCount * pageSize)
}

/** RSS of a `node` that has started and does nothing (its current RSS: a child's maxRSS starts at its parent's, which fork shared). */
function idleNodeRssMb(): number {
  return childRssMb(['-e', 'process.stdout.write(String(process.memoryUsage.rss()))'], 'an idle node process')
}

/** RSS of a child that has opened a store in `dir` and checkpointed it (store-at-rest.ts), in MiB. */
async function storeAtRestRssMb(dir: string): Promise<number> {
  const rss = childRssMb([fileURLToPath(new URL('./store-at-rest.js', import.meta.url)), dir], 'a store at rest')
  await rm(dir, { recursive: true, force: true })
  return rss
}

/** Runs `node args`, which prints its RSS in bytes, and returns it in MiB. */
function childRssMb(args: readonly string[], what: string): number {
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' })
  const bytes = Number(child.stdout)
  if (child.status !== 0 || !Number.isFinite(bytes)) throw new Error(`scale: measuring ${what} failed: ${child.stderr}`)
  return bytes / MiB
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size
  return total
}

async function runLatency(dir: string): Promise<Record<string, LatencyFigures[]>> {
  const counts = latencyCounts
  const runs: Record<string, LatencyFigures[]> = {}
  for (let run = 0; run < latencyRuns; run++) {
    // Alternate the variants, so a burst of load on the machine hits both alike.
    for (const variant of run % 2 === 0 ? LATENCY_VARIANTS : [...LATENCY_VARIANTS].reverse()) {
      process.stderr.write(`latency run ${run + 1}/${latencyRuns}: ${variant.name} … `)
      const figures = await measureLatency(dir, { ...variant, options: { ...storeOptions, ...variant.options } }, counts, 0x1a7e + run)
      process.stderr.write(`p99 ${figures.p99Ms.toFixed(2)} ms, ${figures.checkpoints} checkpoints\n`)
      ;(runs[variant.name] ??= []).push(figures)
    }
  }
  return runs
}

function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function scaleTable(figures: ScaleFigures): string[] {
  const getRatio = figures.getsAll.opsPerSec / figures.getsSmall.opsPerSec
  const rssBound = (CACHE_SIZE + 64 * MiB) / MiB
  const cacheMb = cacheHeldBytes(figures.pageCount, figures.pageSize) / MiB
  const { missFloor, getsSmall, getsAll } = figures
  const best = bestGetsPerSec(getsSmall.opsPerSec, getsAll.pageReadsPerGet, missFloor)
  const atRestMb = figures.storeAtRestRssMb - figures.idleNodeRssMb
  const restBound = rssBound - figures.storeAtRestRssMb - cacheMb
  return [
    `| ${format(keys)} keys, batches of ${batchSize}, cacheSize ${format(CACHE_SIZE / MiB)} MiB${cacheOption === undefined ? ' (default)' : ''} | figure | goal |`,
    '|---|---:|---|',
    `| load: puts/s (first ${format(SMALL)}) | ${format(figures.loadSmall.opsPerSec)} | |`,
    `| load: puts/s (all ${format(keys)}) | ${format(figures.loadAll.opsPerSec)} | |`,
    `| random gets/s at ${format(SMALL)} keys, fastest of ${passes} passes (cache hit ratio) | ${format(figures.getsSmall.opsPerSec)} (${format(figures.getsSmall.cacheHitRatio * 100, 1)} %) | |`,
    `| random gets/s at ${format(keys)} keys, fastest of ${passes} passes (cache hit ratio) | ${format(figures.getsAll.opsPerSec)} (${format(figures.getsAll.cacheHitRatio * 100, 1)} %) | |`,
    `| gets at ${format(keys)} ÷ gets at ${format(SMALL)} | ${getRatio.toFixed(2)} | ≥ 0.50 ${getRatio >= 0.5 ? '✓' : '✗'} |`,
    `| floor of a miss: read of a random page + its CRC-32: µs | ${missFloor.readUs.toFixed(2)} + ${missFloor.checksumUs.toFixed(2)} | |`,
    `| page reads per get at ${format(keys)} keys (cache misses) | ${getsAll.pageReadsPerGet.toFixed(3)} | |`,
    `| best possible gets/s at ${format(keys)} keys: a cached get + that many floors (÷ gets at ${format(SMALL)}) | ${format(best)} (${(best / getsSmall.opsPerSec).toFixed(2)}) | |`,
    `| gets at ${format(keys)} ÷ that best | ${(getsAll.opsPerSec / best).toFixed(2)} | |`,
    `| peak RSS: MB (process maxRSS) | ${format(figures.maxRssMb)} | ≤ ${format(rssBound)} ${figures.maxRssMb <= rssBound ? '✓' : '✗'} |`,
    `| – of it: an idle \`node\`; TinyDB loaded, a store open and its checkpoint worker; the page cache (full, or the whole file); the rest (the JavaScript heap the run grew) | ${format(figures.idleNodeRssMb)}; ${format(atRestMb)}; ${format(cacheMb)}; ${format(figures.maxRssMb - figures.storeAtRestRssMb - cacheMb)} | the rest ≤ ${format(restBound)}${restBound < 0 ? ': below what the store and the cache hold before any data' : ''} |`,
    `| data file: MB (pages, of them free) | ${format(figures.dataFileMb)} (${format(figures.pageCount)}, ${format(figures.freePages)}) | |`,
    `| log directory: MB | ${format(figures.walMb)} | |`,
    `| close: ms | ${format(figures.closeMs, 1)} | |`,
    `| tree depth; checkpoints during the run | ${figures.treeDepth}; ${figures.checkpoints} | |`,
  ]
}

function latencyTable(runs: Record<string, LatencyFigures[]>): string[] {
  const lines = [
    `W2 under checkpoints: ${format(latencyCounts.puts)} puts of random existing keys from 64 writers over a ${format(latencyCounts.preload)}-key store, median of ${latencyRuns} run(s) per variant`,
    '',
    '| variant | puts/s | p50: ms | p99: ms | p99.9: ms | checkpoints during the run |',
    '|---|---:|---:|---:|---:|---:|',
  ]
  const p99 = new Map<string, number>()
  for (const variant of LATENCY_VARIANTS) {
    const list = runs[variant.name] ?? []
    const m = (pick: (figures: LatencyFigures) => number): number => median(list.map(pick))
    p99.set(variant.name, m((f) => f.p99Ms))
    lines.push(
      `| ${variant.name} | ${format(m((f) => f.opsPerSec))} | ${m((f) => f.p50Ms).toFixed(2)} | ${m((f) => f.p99Ms).toFixed(2)} | ${m((f) => f.p999Ms).toFixed(2)} | ${format(m((f) => f.checkpoints))} |`,
    )
  }
  const [without, withCheckpoints] = LATENCY_VARIANTS.map((variant) => p99.get(variant.name) ?? Number.NaN)
  const ratio = withCheckpoints! / without!
  lines.push('', `p99 with checkpoints ÷ p99 without: ${ratio.toFixed(2)}× (goal ≤ 3× ${ratio <= 3 ? '✓' : '✗'})`)
  for (const variant of LATENCY_VARIANTS) lines.push(`- ${variant.name}: ${variant.describe}`)
  if (storeOptions.checkpointFlushAfter !== undefined) lines.push(`- both: checkpointFlushAfter ${format(storeOptions.checkpointFlushAfter)} bytes (--checkpoint-flush-after)`)
  return lines
}
