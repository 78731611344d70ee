import { TinyDbError } from '@tinydb/vfs'
import type { KeyRange } from '@tinydb/kv'
import { DEFAULT_CHECKPOINT_FLUSH_AFTER } from '@tinydb/pager'
import { COMMIT_WRITES, type CommitWrites } from '@tinydb/wal'
import type { BatchOperation, Bytes, OpenOptions, ScanOptions } from './types.js'

const encoder = new TextEncoder()

/** Size limits, enforced before anything is logged: an oversized write is refused whole. */
export interface Limits {
  readonly maxKeySize: number
  readonly maxValueSize: number
  /** A batch is one log record; its encoded size may not exceed this. */
  readonly maxBatchSize: number
}

/** Converts a key or value to bytes, refusing anything that is not bytes or a string. */
export function toBytes(input: unknown, what: string): Uint8Array {
  if (typeof input === 'string') return encoder.encode(input)
  if (input instanceof Uint8Array) return input
  throw new TinyDbError('INVALID_ARGUMENT', `${what} must be a Uint8Array or a string, got ${describe(input)}`)
}

export function toKey(input: unknown, limits: Limits): Uint8Array {
  const key = toBytes(input, 'key')
  if (key.length > limits.maxKeySize) {
    throw new TinyDbError('TOO_LARGE', `key of ${key.length} bytes exceeds the limit of ${limits.maxKeySize} bytes`)
  }
  return key
}

export function toValue(input: unknown, limits: Limits): Uint8Array {
  const value = toBytes(input, 'value')
  if (value.length > limits.maxValueSize) {
    throw new TinyDbError('TOO_LARGE', `value of ${value.length} bytes exceeds the limit of ${limits.maxValueSize} bytes`)
  }
  return value
}

export type ValidatedOperation =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array }

export function toOperations(input: unknown, limits: Limits): ValidatedOperation[] {
  if (!Array.isArray(input)) throw new TinyDbError('INVALID_ARGUMENT', `batch expects an array of operations, got ${describe(input)}`)
  return input.map((operation: unknown, index): ValidatedOperation => {
    if (typeof operation !== 'object' || operation === null) {
      throw new TinyDbError('INVALID_ARGUMENT', `batch operation ${index} must be an object, got ${describe(operation)}`)
    }
    const { type, key, value } = operation as Partial<Record<'type' | 'key' | 'value', unknown>>
    if (type === 'put') return { type, key: toKey(key, limits), value: toValue(value, limits) }
    if (type === 'del') return { type, key: toKey(key, limits) }
    throw new TinyDbError('INVALID_ARGUMENT', `batch operation ${index} has type ${describe(type)}; expected 'put' or 'del'`)
  })
}

export function toKeyRange(options: ScanOptions | undefined): { range: KeyRange; limit: number } {
  if (options === undefined) return { range: {}, limit: Infinity }
  if (typeof options !== 'object' || options === null) {
    throw new TinyDbError('INVALID_ARGUMENT', `scan options must be an object, got ${describe(options)}`)
  }
  const range: { -readonly [K in keyof KeyRange]: KeyRange[K] } = {}
  for (const bound of ['gte', 'gt', 'lte', 'lt'] as const) {
    const value: Bytes | undefined = options[bound]
    if (value !== undefined) range[bound] = toBytes(value, `scan option ${bound}`)
  }
  if (options.reverse !== undefined) {
    if (typeof options.reverse !== 'boolean') throw new TinyDbError('INVALID_ARGUMENT', `scan option reverse must be a boolean`)
    range.reverse = options.reverse
  }
  const limit = options.limit ?? Infinity
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0 || (limit !== Infinity && !Number.isInteger(limit))) {
    throw new TinyDbError('INVALID_ARGUMENT', `scan option limit must be a non-negative integer, got ${describe(limit)}`)
  }
  return { range, limit }
}

export interface ResolvedOptions {
  readonly durability: 'sync' | 'none'
  readonly pageSize: number
  readonly cacheSize: number
  readonly checkpointThreshold: number
  readonly checkpointFlushAfter: number
  readonly walSegmentSize: number
  readonly commitWrites: CommitWrites
}

const MiB = 1024 * 1024

export function resolveOptions(options: OpenOptions | undefined): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TinyDbError('INVALID_ARGUMENT', `open options must be an object, got ${describe(options)}`)
  }
  const durability = options?.durability ?? 'sync'
  if (durability !== 'sync' && durability !== 'none') {
    throw new TinyDbError('INVALID_ARGUMENT', `durability must be 'sync' or 'none', got ${describe(durability)}`)
  }
  // 'auto' decides from measured write times, which mean nothing on a simulated disk and would make
  // a SimVfs run differ from its replay (the crash tests replay runs): a caller's Vfs gets 'thread-pool'.
  const commitWrites = options?.commitWrites ?? (options?.vfs === undefined ? 'auto' : 'thread-pool')
  if (!COMMIT_WRITES.includes(commitWrites)) {
    throw new TinyDbError('INVALID_ARGUMENT', `commitWrites must be one of ${COMMIT_WRITES.join(', ')}, got ${describe(commitWrites)}`)
  }
  return {
    durability,
    commitWrites,
    pageSize: positiveInteger(options?.pageSize, 4096, 'pageSize'),
    cacheSize: positiveInteger(options?.cacheSize, 64 * MiB, 'cacheSize'),
    checkpointThreshold: positiveInteger(options?.checkpointThreshold, 64 * MiB, 'checkpointThreshold'),
    // With durability 'none' no commit waits for the disk, so slices would only add device flushes.
    checkpointFlushAfter: nonNegativeInteger(options?.checkpointFlushAfter, durability === 'sync' ? DEFAULT_CHECKPOINT_FLUSH_AFTER : 0, 'checkpointFlushAfter'),
    walSegmentSize: positiveInteger(options?.walSegmentSize, 8 * MiB, 'walSegmentSize'),
  }
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  return integerAtLeast(1, value, fallback, name)
}

function nonNegativeInteger(value: unknown, fallback: number, name: string): number {
  return integerAtLeast(0, value, fallback, name)
}

function integerAtLeast(minimum: 0 | 1, value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    const what = minimum === 1 ? 'a positive integer' : 'an integer >= 0'
    throw new TinyDbError('INVALID_ARGUMENT', `${name} must be ${what}, got ${describe(value)}`)
  }
  return value
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`
  return `${typeof value} ${String(value)}`
}

/** The batch argument type, re-stated for callers that validate before building a record. */
export type { BatchOperation }
