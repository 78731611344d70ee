/** A row of the table: one figure every store reports, and which way is better. */
export interface Metric {
  readonly id: string
  readonly label: string
  readonly better: 'higher' | 'lower'
  readonly digits: number
  /**
   * The ratio to the best peer that issue 3 asks for (W1 ≥ 1.2×, W2 ≥ 1.5×, the others at least
   * even), marked ✓ or ✗; undefined for a row the issue sets no goal on (shown for context).
   */
  readonly goal?: number
}

export const METRICS: readonly Metric[] = [
  { id: 'w1.opsPerSec', label: 'W1 awaited puts: ops/s', better: 'higher', digits: 0, goal: 1.2 },
  { id: 'w1.p50Ms', label: 'W1 put p50: ms', better: 'lower', digits: 3 },
  { id: 'w2.opsPerSec', label: 'W2 64 writers: ops/s', better: 'higher', digits: 0, goal: 1.5 },
  { id: 'w2.p99Ms', label: 'W2 put p99: ms', better: 'lower', digits: 2 },
  { id: 'w3.opsPerSec', label: 'W3 batches of 1000: ops/s', better: 'higher', digits: 0, goal: 1 },
  { id: 'w4.opsPerSec', label: 'W4 random gets: ops/s', better: 'higher', digits: 0, goal: 1 },
  { id: 'w5.keysPerSec', label: 'W5 ordered scan: keys/s', better: 'higher', digits: 0, goal: 1 },
  // The W6 is one figure: close, reopen, first get. Its two parts are shown for context.
  { id: 'w6.totalMs', label: 'W6 close + reopen + first get: ms', better: 'lower', digits: 2, goal: 1 },
  { id: 'w6.closeMs', label: 'W6 part: close: ms', better: 'lower', digits: 2 },
  { id: 'w6.reopenMs', label: 'W6 part: reopen + first get: ms', better: 'lower', digits: 2 },
  { id: 'rss.peakMb', label: 'peak RSS: MB', better: 'lower', digits: 0, goal: 1 },
]

/** The built-in peers TinyDB is measured against; every other column is compared with the best of these. */
export const PEERS: readonly string[] = ['lmdb', 'leveldb', 'sqlite']

export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Per metric id, the median of the runs that reported it. */
export function medianFigures(runs: readonly Record<string, number>[]): Record<string, number> {
  const ids = new Set(runs.flatMap((run) => Object.keys(run)))
  const result: Record<string, number> = {}
  for (const id of ids) result[id] = median(runs.map((run) => run[id] ?? Number.NaN))
  return result
}

/** The best peer's figure for `metric` (highest or lowest), NaN when no peer reported it. */
export function bestPeer(metric: Metric, medians: Record<string, Record<string, number>>): number {
  const values = PEERS.map((peer) => medians[peer]?.[metric.id]).filter((value): value is number => value !== undefined && Number.isFinite(value))
  if (values.length === 0) return Number.NaN
  return metric.better === 'higher' ? Math.max(...values) : Math.min(...values)
}

function format(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/**
 * The comparison as a Markdown table: the peers, then every other store, then, for each store that
 * is not a peer, its ratio to the best peer, marked against the row's goal (`Metric.goal`: for
 * "higher is better" rows the ratio must reach it, for "lower is better" rows stay at or under it).
 */
export function formatTable(medians: Record<string, Record<string, number>>, stores: readonly string[]): string[] {
  const columns = [...PEERS.filter((peer) => stores.includes(peer)), ...stores.filter((store) => !PEERS.includes(store))]
  const contenders = columns.filter((store) => !PEERS.includes(store))
  const header = ['workload', ...columns, ...contenders.map((store) => `${store} ÷ best peer`)]
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`]
  for (const metric of METRICS) {
    const best = bestPeer(metric, medians)
    const cells = columns.map((store) => format(medians[store]?.[metric.id], metric.digits))
    const ratios = contenders.map((store) => {
      const value = medians[store]?.[metric.id]
      if (value === undefined || !Number.isFinite(value) || !Number.isFinite(best) || best === 0) return '–'
      const ratio = value / best
      if (metric.goal === undefined) return `${ratio.toFixed(2)}×`
      const met = metric.better === 'higher' ? ratio >= metric.goal : ratio <= metric.goal
      return `${ratio.toFixed(2)}× ${met ? '✓' : '✗'} (goal ${metric.better === 'higher' ? '≥' : '≤'} ${metric.goal}×)`
    })
    lines.push(`| ${[metric.label, ...cells, ...ratios].join(' | ')} |`)
  }
  return lines
}
