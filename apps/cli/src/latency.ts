/** What a run of timed operations cost, in milliseconds and operations per second. */
export interface LatencySummary {
  readonly ops: number
  readonly meanMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  /** Operations divided by the wall-clock time of the whole run (not by the sum of latencies). */
  readonly throughput: number
}

/** Nearest-rank percentile of ascending `sorted` (q in (0, 1]); NaN for no samples. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1] ?? Number.NaN
}

export function summarizeLatencies(latenciesMs: ArrayLike<number>, elapsedMs: number): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort()
  let total = 0
  for (const latency of sorted) total += latency
  return {
    ops: sorted.length,
    meanMs: sorted.length === 0 ? Number.NaN : total / sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    p99Ms: percentile(sorted, 0.99),
    throughput: elapsedMs > 0 ? (sorted.length * 1000) / elapsedMs : Number.NaN,
  }
}
