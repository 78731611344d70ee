/**
 * A measured figure next to the floor it is compared with. `ratio` is how many times the floor's
 * time the benchmark took: 1.00 means as fast as the hardware allows, 2.00 twice as slow.
 */
export interface FloorComparison {
  readonly name: string
  readonly floor: string
  readonly nanoseconds: number
  readonly floorNanoseconds: number
  /** Operations one iteration performs (64 for a round of 64 concurrent appends). */
  readonly opsPerIteration: number
}

export function ratio(comparison: FloorComparison): number {
  return comparison.nanoseconds / comparison.floorNanoseconds
}

export function formatDuration(nanoseconds: number): string {
  if (!Number.isFinite(nanoseconds)) return String(nanoseconds)
  if (nanoseconds >= 1e6) return `${(nanoseconds / 1e6).toFixed(2)} ms`
  if (nanoseconds >= 1e3) return `${(nanoseconds / 1e3).toFixed(2)} µs`
  return `${nanoseconds.toFixed(1)} ns`
}

/** The closing table: one line per comparison, aligned, with the per-operation time. */
export function formatComparisons(comparisons: readonly FloorComparison[]): string[] {
  const width = Math.max(0, ...comparisons.map((comparison) => comparison.name.length))
  return comparisons.map((comparison) => {
    const perOp = formatDuration(comparison.nanoseconds / comparison.opsPerIteration)
    return `${comparison.name.padEnd(width)}  ${ratio(comparison).toFixed(2).padStart(7)} × floor` +
      `  (${perOp}/op; ${comparison.floor} = ${formatDuration(comparison.floorNanoseconds)})`
  })
}
