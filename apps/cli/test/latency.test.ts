import { describe, expect, it } from 'vitest'
import { percentile, summarizeLatencies } from '../src/latency.js'

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1)
    expect(percentile(sorted, 0.5)).toBe(50)
    expect(percentile(sorted, 0.95)).toBe(95)
    expect(percentile(sorted, 0.99)).toBe(99)
    expect(percentile(sorted, 1)).toBe(100)
    expect(percentile([7], 0.99)).toBe(7)
  })

  it('is NaN without samples', () => {
    expect(percentile([], 0.5)).toBeNaN()
  })
})

describe('summarizeLatencies', () => {
  it('sorts the samples and divides operations by wall-clock time', () => {
    const summary = summarizeLatencies([4, 1, 3, 2], 8)
    expect(summary).toEqual({ ops: 4, meanMs: 2.5, p50Ms: 2, p95Ms: 4, p99Ms: 4, throughput: 500 })
  })
})
