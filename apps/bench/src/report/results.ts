import type { WorkloadCounts } from '../compare/workloads.js'

/**
 * The shape of `results.json`, version 1. Readers check `format` and `version` before anything
 * else; a change that renames or removes a field bumps `version`, adding a field does not.
 * Times are milliseconds, rates are per second, every figure a median over `options.runs` runs.
 */
export const REPORT_FORMAT = 'tinydb-bench-report'
export const REPORT_VERSION = 1

export interface BenchReport {
  readonly format: typeof REPORT_FORMAT
  readonly version: typeof REPORT_VERSION
  /** When the run finished, ISO 8601 UTC. */
  readonly date: string
  readonly machine: MachineInfo
  readonly options: ReportOptions
  /** Every store, in the order of the tables and charts, with its library and durability settings. */
  readonly stores: readonly StoreInfo[]
  /** The compare workloads W1–W6: per store, per metric id (`w1.p50Ms`, …; see compare/summary.ts). */
  readonly compare: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** The raw fdatasync floor of W1: one preallocated append + fdatasync per put, awaited one at a time. */
  readonly floor: FloorFigures
  /** Durable puts against the number of concurrent writers, per store and for the floor. */
  readonly sweep: readonly SweepPoint[]
}

export interface MachineInfo {
  readonly cpus: number
  readonly cpuModel: string
  /** `process.version`, e.g. `v20.20.2`. */
  readonly node: string
  /** `os.type() os.release() os.arch()`. */
  readonly os: string
  readonly totalMemoryMb: number
  /** `os.loadavg()` before and after the run: how busy the machine was. */
  readonly loadBefore: readonly number[]
  readonly loadAfter: readonly number[]
}

export interface ReportOptions {
  readonly runs: number
  readonly quick: boolean
  readonly counts: WorkloadCounts
  /** Bytes of the floor's frame: one W1 put as TinyDB logs it. */
  readonly floorRecordSize: number
  /** The concurrent-writer counts of the sweep. */
  readonly writers: readonly number[]
  /** Puts per sweep point, unless `secondsPerPoint` runs out first. */
  readonly opsPerPoint: number
  readonly secondsPerPoint: number
}

export interface StoreInfo {
  readonly name: string
  readonly describe: string
}

export interface FloorFigures {
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly p999Ms: number
}

export interface SweepPoint {
  /** A store's name, or `floor`: one write of `writers` frames + one fdatasync (a perfect group commit). */
  readonly store: string
  readonly writers: number
  /** Puts completed (fewer than `opsPerPoint` when the time ran out). */
  readonly ops: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
}

/** The name of the floor's series in `sweep` and in the charts. */
export const FLOOR = 'floor'

/** Parses `results.json` text, refusing another format or version instead of misreading it. */
export function parseReport(text: string): BenchReport {
  const value = JSON.parse(text) as Partial<BenchReport>
  if (value.format !== REPORT_FORMAT) throw new Error(`not a ${REPORT_FORMAT} file (format: ${String(value.format)})`)
  if (value.version !== REPORT_VERSION) throw new Error(`${REPORT_FORMAT} version ${String(value.version)} is not supported (this reader: ${REPORT_VERSION})`)
  return value as BenchReport
}
