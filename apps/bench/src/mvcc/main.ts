/**
 * Reads under a running writer (issue 5): random-get throughput while one writer runs durable
 * puts at full speed, as a share of the throughput with no writer, measured in the same process
 * and run. Reads never wait for the writer's fdatasync: `getSync` reads the tree the last durable
 * write left, and a snapshot reads frozen pages the writer copies around.
 *
 *   node apps/bench/dist/mvcc/main.js [--keys 100000] [--seconds 2] [--dir DIR] [--durability sync|none]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open, type Db } from '@tinydb/engine'
import { keyOf, valueOf } from '../compare/keys.js'

/**
 * Gets per synchronous run; between runs the reader yields, so the writer's I/O callbacks run. Small
 * enough (well under a millisecond) that the writer, which needs a couple of event-loop turns per
 * put, is not throttled by the reader: the "writer alone" line shows its speed with no reader.
 */
const READS_PER_TURN = 64
const LOAD_BATCH = 1000
const ROUNDS = 3

interface Phase {
  readonly name: string
  readonly readsPerSecond: number
  readonly writesPerSecond: number
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '100000' },
      seconds: { type: 'string', default: '2' },
      dir: { type: 'string' },
      // 'none' shows how much of the readers' slowdown is the fdatasync itself (the kernel's work).
      durability: { type: 'string', default: 'sync' },
    },
  })
  const keys = Number(values.keys)
  const seconds = Number(values.seconds)
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'tinydb-mvcc-')))
  const durability = values.durability === 'none' ? 'none' : 'sync'
  const db = await open(dir, { durability })
  try {
    for (let at = 0; at < keys; at += LOAD_BATCH) {
      const batch = []
      for (let index = at; index < Math.min(keys, at + LOAD_BATCH); index++) batch.push({ type: 'put' as const, key: keyOf(index), value: valueOf(index) })
      await db.batch(batch)
    }
    await db.checkpoint()
    // Phases alternate, three rounds, and each line is the median of its three: a machine whose
    // load drifts during the run then shifts both sides of a ratio alike.
    const read = (source: Pick<Db, 'getSync'>) => (index: number) => source.getSync(keyOf(index))
    const snapshot = db.snapshot()
    const plan: Array<[string, (index: number) => unknown, boolean]> = [
      ['getSync, no writer', read(db), false],
      ['getSync, one writer', read(db), true],
      ['snapshot.getSync, no writer', read(snapshot), false],
      ['snapshot.getSync, one writer', read(snapshot), true],
    ]
    const samples = plan.map((): Phase[] => [])
    for (let round = 0; round < ROUNDS; round++) {
      for (const [at, [name, get, withWriter]] of plan.entries()) samples[at]!.push(await measure(name, db, keys, seconds, get, withWriter))
    }
    snapshot.close()
    const phases = samples.map(median)
    const writerAlone = await writeAlone(db, keys, seconds)
    const base = phases[0]!.readsPerSecond
    console.log(`mvcc: ${keys} keys (16 B keys, 128 B values), durability ${durability}, median of ${ROUNDS} rounds of ${seconds} s per phase, Node ${process.version}`)
    console.log('| phase | gets/s | ÷ no writer | writer puts/s |')
    console.log('|---|---:|---:|---:|')
    for (const phase of phases) {
      const ratio = phase.readsPerSecond / base
      console.log(`| ${phase.name} | ${Math.round(phase.readsPerSecond).toLocaleString('en-US')} | ${ratio.toFixed(2)}× | ${phase.writesPerSecond === 0 ? '—' : Math.round(phase.writesPerSecond).toLocaleString('en-US')} |`)
    }
    console.log(`| writer alone | — | — | ${Math.round(writerAlone).toLocaleString('en-US')} |`)
    const withWriter = phases[1]!.readsPerSecond / base
    console.log(`reads with a writer running: ${(withWriter * 100).toFixed(0)}% of reads without (goal ≥ 70%) ${withWriter >= 0.7 ? '✓' : '✗'}`)
  } finally {
    await db.close()
    if (values.dir === undefined) await rm(dir, { recursive: true, force: true })
  }
}

function median(phases: readonly Phase[]): Phase {
  const sorted = [...phases].sort((a, b) => a.readsPerSecond - b.readsPerSecond)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Awaited durable puts for `seconds`, nothing else running: the writer's full speed. */
async function writeAlone(db: Db, keys: number, seconds: number): Promise<number> {
  let writes = 0
  const started = performance.now()
  while (performance.now() - started < seconds * 1000) {
    await db.put(keyOf(writes % keys), valueOf(writes + 2 * keys))
    writes++
  }
  return writes / ((performance.now() - started) / 1000)
}

/** Random gets for `seconds`, optionally with one writer doing awaited durable puts all along. */
async function measure(name: string, db: Db, keys: number, seconds: number, get: (index: number) => unknown, withWriter: boolean): Promise<Phase> {
  let state = 0x2545f491
  const nextIndex = (): number => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % keys
  }
  let writing = withWriter
  let writes = 0
  const writer = (async () => {
    for (let index = 0; writing; index++) {
      await db.put(keyOf(index % keys), valueOf(index + keys))
      writes++
    }
  })()
  let reads = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  while (performance.now() < deadline) {
    for (let i = 0; i < READS_PER_TURN; i++) get(nextIndex())
    reads += READS_PER_TURN
    await new Promise((resolve) => setImmediate(resolve))
  }
  const elapsed = (performance.now() - started) / 1000
  writing = false
  await writer
  return { name, readsPerSecond: reads / elapsed, writesPerSecond: writes / elapsed }
}

await main()
