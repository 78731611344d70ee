import { formatTable } from '../compare/summary.js'
import { PERCENTILES } from './charts.js'
import { FLOOR, type BenchReport } from './results.js'

/** A table both pages draw: Markdown for results.md, HTML for index.html. Cells are display text. */
export interface Table {
  readonly id: string
  readonly title: string
  readonly header: readonly string[]
  /** Per column: numbers align right, labels left. */
  readonly align: readonly ('left' | 'right')[]
  readonly rows: readonly (readonly string[])[]
}

function figure(value: number | undefined, digits: number): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/**
 * The compare table exactly as `pnpm bench:compare` prints it (and BENCHMARKS.md shows it): taken
 * from compare's own `formatTable`, so the two never drift apart.
 */
export function compareTable(report: BenchReport): Table {
  const lines = formatTable(report.compare, report.stores.map((store) => store.name))
  const cells = (line: string): string[] => line.slice(2, -2).split(' | ')
  const header = cells(lines[0] as string)
  return {
    id: 'compare',
    title: 'Compare workloads W1–W6',
    header,
    align: header.map((_, index) => (index === 0 ? 'left' : 'right')),
    rows: lines.slice(2).map(cells),
  }
}

/** Latency percentiles of one durable put, in ms: W1 and W2 per store, and the floor (W1's pattern). */
export function latencyTable(report: BenchReport): Table {
  const header = ['store', ...PERCENTILES.map((p) => `W1 ${p.label}`), ...PERCENTILES.map((p) => `W2 ${p.label}`)]
  const rows = report.stores.map((store) => {
    const figures = report.compare[store.name] ?? {}
    return [store.name, ...['w1', 'w2'].flatMap((workload) => PERCENTILES.map((p) => figure(figures[`${workload}.${p.suffix}`], 3)))]
  })
  rows.push([FLOOR, ...PERCENTILES.map((p) => figure(report.floor[p.suffix], 3)), ...PERCENTILES.map(() => '–')])
  return { id: 'latency', title: 'Durable put latency: ms', header, align: header.map((_, index) => (index === 0 ? 'left' : 'right')), rows }
}

/** Durable puts/s per store (columns) against concurrent writers (rows), the floor last. */
export function sweepTable(report: BenchReport): Table {
  const series = [...report.stores.map((store) => store.name), FLOOR]
  const header = ['writers', ...series]
  const rows = report.options.writers.map((writers) => [
    String(writers),
    ...series.map((name) => figure(report.sweep.find((point) => point.store === name && point.writers === writers)?.opsPerSec, 0)),
  ])
  return { id: 'sweep', title: 'Durable puts/s against concurrent writers', header, align: header.map((_, index) => (index === 0 ? 'left' : 'right')), rows }
}

export function tables(report: BenchReport): Table[] {
  return [compareTable(report), latencyTable(report), sweepTable(report)]
}

/** The one-paragraph account of where and how the figures were measured, shared by both pages. */
export function describeRun(report: BenchReport): string[] {
  const { machine, options } = report
  const load = (values: readonly number[]): string => values.map((value) => value.toFixed(2)).join(' ')
  return [
    `Measured ${report.date} on ${machine.cpus} × ${machine.cpuModel}, ${machine.os}, Node ${machine.node}, ${Math.round(machine.totalMemoryMb).toLocaleString('en-US')} MB; load ${load(machine.loadBefore)} before, ${load(machine.loadAfter)} after.`,
    `Median of ${options.runs} run(s), each store in its own process${options.quick ? ' (--quick: tiny counts, the figures mean nothing)' : ''}; keys 16 bytes, values 128 bytes, every store durable.`,
    `Sweep: up to ${options.opsPerPoint.toLocaleString('en-US')} durable puts per point (or ${options.secondsPerPoint} s, whichever comes first) from ${options.writers.join(', ')} concurrent writers, a fresh store per point.`,
    `Floor: p50 ${figure(report.floor.p50Ms, 3)} ms, ${figure(report.floor.opsPerSec, 0)} puts/s (a ${options.floorRecordSize}-byte frame appended to a preallocated file + fdatasync, one at a time).`,
  ]
}
