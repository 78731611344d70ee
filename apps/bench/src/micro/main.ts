import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { run } from 'mitata'
import { NodeVfs } from '@tinydb/vfs'
import { formatComparisons } from '../ratio.js'
import type { FloorComparison } from '../ratio.js'
import { btreeBenchmarks } from './btree.js'
import type { FloorPairing } from './pairing.js'
import { pagerBenchmarks } from './pager.js'
import { walBenchmarks } from './wal.js'

const USAGE = `usage: node dist/micro/main.js [--filter REGEX] [--dir DIR] [--no-e2e]
  --filter REGEX  run only the benchmarks whose name matches
  --dir DIR       where the benchmark files go (default: the OS temp directory; must be a real disk,
                  not tmpfs, or fdatasync costs nothing); also $TINYDB_BENCH_DIR
  --no-e2e        skip the end-to-end \`tinydb bench 2000 benchkey 128\` run`

// The CLI of this monorepo, run as a program (the bench does not import it).
const CLI = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url))

const { values } = parseArgs({
  options: {
    filter: { type: 'string' },
    dir: { type: 'string' },
    'no-e2e': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}

const root = await mkdtemp(join(values.dir ?? process.env['TINYDB_BENCH_DIR'] ?? tmpdir(), 'tinydb-bench-'))
try {
  const vfs = new NodeVfs()
  const pairings: FloorPairing[] = [...walBenchmarks(vfs, root), ...pagerBenchmarks(vfs, root), ...btreeBenchmarks()]
  const filter = values.filter === undefined ? /.*/ : new RegExp(values.filter)
  const { benchmarks } = await run({ filter, throw: true })

  const averages = new Map<string, number>()
  for (const trial of benchmarks) {
    const stats = trial.runs[0]?.stats
    if (stats !== undefined) averages.set(trial.alias, stats.avg)
  }
  const comparisons: FloorComparison[] = []
  for (const pairing of pairings) {
    const nanoseconds = averages.get(pairing.name)
    const floorNanoseconds = averages.get(pairing.floor)
    if (nanoseconds !== undefined && floorNanoseconds !== undefined) {
      comparisons.push({ ...pairing, nanoseconds, floorNanoseconds })
    }
  }
  console.log('\nratios to the floor (mean time per iteration; 1.00 = as fast as the floor, higher is slower)')
  for (const line of formatComparisons(comparisons)) console.log(line)

  if (values['no-e2e'] !== true) {
    console.log('\nend to end: tinydb bench 2000 benchkey 128 (durable puts through the engine, one at a time)')
    if (!existsSync(CLI)) {
      console.log(`skipped: ${CLI} is not built (run pnpm build)`)
    } else {
      const result = spawnSync(process.execPath, [CLI, '--dir', join(root, 'e2e'), 'bench', '2000', 'benchkey', '128'], {
        stdio: 'inherit',
      })
      if (result.status !== 0) process.exitCode = 1
    }
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
