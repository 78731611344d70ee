import { posix } from 'node:path'
import { TinyDbError } from './errors.js'

export type FaultOperation = 'write' | 'sync' | 'read' | 'syncDir' | 'open' | 'rename' | 'unlink' | 'truncate'
export type FaultError = 'EIO' | 'ENOSPC'

export interface FaultSpec {
  readonly operation: FaultOperation
  /** Only operations on this path (or a path the RegExp matches); for rename, either path. Default: any. */
  readonly path?: string | RegExp
  readonly error: FaultError
  /** Let this many matching operations succeed first (default 0). */
  readonly afterMatches?: number
  /** How many matching operations fail (default 1; `Infinity` for a permanent fault). */
  readonly times?: number
}

const OPERATIONS: readonly FaultOperation[] = ['write', 'sync', 'read', 'syncDir', 'open', 'rename', 'unlink', 'truncate']

interface ArmedFault {
  readonly spec: FaultSpec
  readonly path: string | RegExp | undefined
  matches: number
  failures: number
}

/** The injected faults of one SimVfs, checked in the order they were injected. */
export class FaultTable {
  private faults: ArmedFault[] = []

  add(spec: FaultSpec): void {
    if (!OPERATIONS.includes(spec.operation)) throw invalid(`unknown fault operation ${String(spec.operation)}`)
    if (spec.error !== 'EIO' && spec.error !== 'ENOSPC') throw invalid(`unknown fault error ${String(spec.error)}`)
    const afterMatches = spec.afterMatches ?? 0
    const times = spec.times ?? 1
    if (!Number.isSafeInteger(afterMatches) || afterMatches < 0) throw invalid(`afterMatches must be >= 0, got ${afterMatches}`)
    if (!(times === Infinity || (Number.isSafeInteger(times) && times >= 1))) throw invalid(`times must be >= 1, got ${times}`)
    const path = typeof spec.path === 'string' ? posix.resolve('/', spec.path) : spec.path
    this.faults.push({ spec, path, matches: 0, failures: 0 })
  }

  clear(): void {
    this.faults = []
  }

  /**
   * Counts this operation against every fault it matches and returns the error of the first one
   * that is due, if any. `paths` are normalised.
   */
  check(operation: FaultOperation, paths: readonly string[]): FaultError | undefined {
    let due: FaultError | undefined
    for (const fault of this.faults) {
      if (fault.spec.operation !== operation || !paths.some((path) => pathMatches(fault.path, path))) continue
      fault.matches++
      const armed = fault.matches > (fault.spec.afterMatches ?? 0) && fault.failures < (fault.spec.times ?? 1)
      if (armed && due === undefined) {
        fault.failures++
        due = fault.spec.error
      }
    }
    return due
  }
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true
  if (typeof pattern === 'string') return pattern === path
  pattern.lastIndex = 0 // a /g or /y RegExp keeps state between test() calls
  return pattern.test(path)
}

function invalid(message: string): TinyDbError {
  return new TinyDbError('INVALID_ARGUMENT', `injectFault: ${message}`)
}
