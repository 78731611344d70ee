import { FULL_COUNTS } from '../src/compare/workloads.ts'
import { REPORT_FORMAT, REPORT_VERSION, type BenchReport, type SweepPoint } from '../src/report/results.ts'

const WRITERS = [1, 4, 16, 64, 256]

/** Made-up but plausible figures for one store; `scale` makes stores differ. */
function figures(scale: number): Record<string, number> {
  return {
    'w1.opsPerSec': 2000 * scale,
    'w1.p50Ms': 0.2 / scale,
    'w1.p90Ms': 0.3 / scale,
    'w1.p99Ms': 1.1 / scale,
    'w1.p999Ms': 4.5 / scale,
    'w2.opsPerSec': 20_000 * scale,
    'w2.p50Ms': 2.5 / scale,
    'w2.p90Ms': 4 / scale,
    'w2.p99Ms': 9 / scale,
    'w2.p999Ms': 15 / scale,
    'w3.opsPerSec': 50_000 * scale,
    'w4.opsPerSec': 200_000 * scale,
    'w5.keysPerSec': 300_000 * scale,
    'w6.reopenMs': 5 / scale,
    'w6.closeMs': 20 / scale,
    'w6.totalMs': 25 / scale,
    'rss.peakMb': 200 / scale,
  }
}

function points(store: string, base: number, grouping: number): SweepPoint[] {
  return WRITERS.map((writers) => ({ store, writers, ops: 10_000, opsPerSec: base * writers ** grouping, p50Ms: writers / base, p99Ms: (4 * writers) / base }))
}

/** A fixed results object: what a real run writes, without running one. */
export function fixtureReport(): BenchReport {
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    date: '2026-11-26T15:00:00.000Z',
    machine: { cpus: 2, cpuModel: 'Test CPU @ 2.50GHz', node: 'v20.20.2', os: 'Linux 6.1 x64', totalMemoryMb: 4096, loadBefore: [1, 1.5, 2], loadAfter: [2, 1.5, 1] },
    options: { runs: 3, quick: false, counts: FULL_COUNTS, floorRecordSize: 184, writers: WRITERS, opsPerPoint: 10_000, secondsPerPoint: 2 },
    stores: [
      { name: 'tinydb', describe: '@tinydb/engine' },
      { name: 'lmdb', describe: 'lmdb-js' },
      { name: 'leveldb', describe: 'classic-level' },
      { name: 'sqlite', describe: 'better-sqlite3' },
    ],
    compare: { tinydb: figures(1.5), lmdb: figures(0.5), leveldb: figures(1), sqlite: figures(2) },
    floor: { opsPerSec: 5000, p50Ms: 0.18, p90Ms: 0.25, p99Ms: 0.9, p999Ms: 3 },
    sweep: [...points('tinydb', 2000, 0.8), ...points('lmdb', 1000, 0.6), ...points('leveldb', 900, 0.5), ...points('sqlite', 6000, 0), ...points('floor', 5000, 1)],
  }
}
