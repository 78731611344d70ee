import type { TopLevelSpec } from 'vega-lite'
import { bestPeer, METRICS, PEERS } from '../compare/summary.js'
import { FLOOR, type BenchReport } from './results.js'

/**
 * The report's charts as Vega-Lite specs, built from `results.json` alone (so a chart can be
 * redrawn from an old run). Each store keeps one colour in every chart; the floor is grey and dashed.
 */
export interface Chart {
  /** The SVG's file name, without `.svg`. */
  readonly id: string
  readonly title: string
  /** One sentence under the chart: how to read it. */
  readonly caption: string
  readonly spec: TopLevelSpec
}

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d']
const FLOOR_COLOUR = '#7f7f7f'
export const PERCENTILES = [
  { label: 'p50', suffix: 'p50Ms' },
  { label: 'p90', suffix: 'p90Ms' },
  { label: 'p99', suffix: 'p99Ms' },
  { label: 'p99.9', suffix: 'p999Ms' },
] as const

// Labels are workload names and store names: never cut them short (Vega's default limits do).
const CONFIG = { font: 'sans-serif', background: 'white', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400 }, legend: { labelLimit: 400 } }

/** Every store in the report's order, then the floor: one colour each, the same in every chart. */
function colourScale(report: BenchReport, withFloor: boolean): { domain: string[]; range: string[] } {
  const stores = report.stores.map((store) => store.name)
  return {
    domain: withFloor ? [...stores, FLOOR] : stores,
    range: [...stores.map((_, index) => PALETTE[index % PALETTE.length] as string), ...(withFloor ? [FLOOR_COLOUR] : [])],
  }
}

/** Latency percentiles of one durable put, W1 (awaited one at a time) and W2 (64 writers), per store. */
export function latencyChart(report: BenchReport): Chart {
  const workloads = [
    { id: 'w1', label: 'W1: 1 writer, each put awaited' },
    { id: 'w2', label: `W2: ${report.options.counts.w2Writers} concurrent writers` },
  ]
  const rows: { workload: string; store: string; percentile: string; ms: number }[] = []
  for (const workload of workloads) {
    for (const store of report.stores) {
      for (const { label, suffix } of PERCENTILES) {
        const ms = report.compare[store.name]?.[`${workload.id}.${suffix}`]
        if (ms !== undefined && Number.isFinite(ms) && ms > 0) rows.push({ workload: workload.label, store: store.name, percentile: label, ms })
      }
    }
  }
  for (const { label, suffix } of PERCENTILES) {
    const ms = report.floor[suffix]
    if (Number.isFinite(ms) && ms > 0) rows.push({ workload: workloads[0]!.label, store: FLOOR, percentile: label, ms })
  }
  // Bars on a log scale need an explicit base (log 0 is undefined): the power of ten strictly below
  // the smallest figure, so no bar has zero height.
  const base = 10 ** (Math.ceil(Math.log10(Math.min(...rows.map((row) => row.ms), 1))) - 1)
  const top = 10 ** Math.ceil(Math.log10(Math.max(...rows.map((row) => row.ms), 1)))
  return {
    id: 'latency',
    title: 'Durable put latency percentiles',
    caption: `Milliseconds per put (log scale; lower is better). The floor is one preallocated append + fdatasync, awaited one at a time: no store can make a single put durable for less.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      data: { values: rows },
      facet: { column: { field: 'workload', type: 'nominal', title: null, sort: workloads.map((workload) => workload.label) } },
      spec: {
        width: 320,
        height: 260,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'percentile', type: 'ordinal', sort: PERCENTILES.map((p) => p.label), title: 'percentile', axis: { labelAngle: 0 } },
          xOffset: { field: 'store', type: 'nominal', sort: colourScale(report, true).domain },
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log', domain: [base, top] }, title: 'ms per put (log)' },
          y2: { datum: base },
          color: { field: 'store', type: 'nominal', scale: colourScale(report, true), title: 'store' },
        },
      },
    },
  }
}

/** Durable puts/s against concurrent writers, per store, with the perfect-group-commit floor. */
export function throughputChart(report: BenchReport): Chart {
  const rows = report.sweep
    .filter((point) => Number.isFinite(point.opsPerSec) && point.opsPerSec > 0)
    .map((point) => ({ store: point.store, writers: point.writers, opsPerSec: point.opsPerSec, line: point.store === FLOOR ? 'floor' : 'store' }))
  return {
    id: 'throughput',
    title: 'Durable puts per second against concurrent writers',
    caption: `Each writer awaits its own puts; more writers let a store with group commit share one fdatasync among many puts. The floor writes the N writers' frames with one write and one fdatasync per round: a perfect group commit on this disk.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: 520,
      height: 320,
      data: { values: rows },
      encoding: {
        x: { field: 'writers', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { values: [...report.options.writers], format: 'd' }, title: 'concurrent writers (log)' },
        y: { field: 'opsPerSec', type: 'quantitative', scale: { type: 'log' }, title: 'durable puts/s (log)', axis: { format: '~s' } },
        color: { field: 'store', type: 'nominal', scale: colourScale(report, true), title: 'store' },
      },
      layer: [
        { mark: { type: 'line' }, encoding: { strokeDash: { field: 'line', type: 'nominal', scale: { domain: ['store', 'floor'], range: [[1, 0], [6, 4]] }, legend: null } } },
        { mark: { type: 'point', filled: true, size: 50, tooltip: true } },
      ],
    },
  }
}

/**
 * Every store that is not a built-in peer (TinyDB, `--adapter` variants) against the best peer on
 * each compare row, as "times better": value ÷ best for higher-is-better rows, best ÷ value for the
 * others, so > 1 always means the store wins. Undefined when there is no such store or no peer.
 */
export function ratioChart(report: BenchReport): Chart | undefined {
  const contenders = report.stores.map((store) => store.name).filter((name) => !PEERS.includes(name))
  const rows: { store: string; workload: string; times: number; wins: string }[] = []
  for (const store of contenders) {
    for (const metric of METRICS) {
      const best = bestPeer(metric, report.compare)
      const value = report.compare[store]?.[metric.id]
      if (value === undefined || !Number.isFinite(value) || !Number.isFinite(best) || value <= 0 || best <= 0) continue
      const times = metric.better === 'higher' ? value / best : best / value
      rows.push({ store, workload: metric.label, times, wins: times >= 1 ? 'better than the best peer' : 'worse than the best peer' })
    }
  }
  if (rows.length === 0) return undefined
  return {
    id: 'ratio',
    title: 'Against the best peer, per compare workload',
    caption: `How many times better than the best of ${PEERS.join(', ')} on each row of the compare table (log scale): right of 1 the store wins, left of 1 the best peer does.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: 420,
      height: { step: contenders.length > 1 ? 14 * contenders.length : 22 },
      data: { values: rows },
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: { field: 'workload', type: 'nominal', sort: METRICS.map((metric) => metric.label), title: null },
            ...(contenders.length > 1 ? { yOffset: { field: 'store', type: 'nominal' } } : {}),
            x: { field: 'times', type: 'quantitative', scale: { type: 'log' }, title: 'times better than the best peer (log; > 1 wins)' },
            x2: { datum: 1 },
            color: {
              field: 'wins',
              type: 'nominal',
              scale: { domain: ['better than the best peer', 'worse than the best peer'], range: ['#54a24b', '#e45756'] },
              title: contenders.join(', '),
            },
          },
        },
        { mark: { type: 'rule', color: 'black' }, encoding: { x: { datum: 1 } } },
      ],
    },
  }
}

/** The report's charts, in the order the pages show them. */
export function charts(report: BenchReport): Chart[] {
  const ratio = ratioChart(report)
  return [latencyChart(report), throughputChart(report), ...(ratio === undefined ? [] : [ratio])]
}
