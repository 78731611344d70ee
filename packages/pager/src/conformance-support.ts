import { TinyDbError } from '@tinydb/vfs'
import type { Pager } from './pager.js'

/** The few assertions the conformance suite needs; vitest's `expect` (and jest's) fits this shape. */
export interface ConformanceAssertion {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
}

/** The test functions the suite runs in: pass vitest's (or any compatible runner's). */
export interface ConformanceTest {
  describe(name: string, fn: () => void): unknown
  it(name: string, fn: () => Promise<void> | void): unknown
  expect(actual: unknown): ConformanceAssertion
}

export interface PagerFactory {
  readonly name: string
  /** A new, empty pager. */
  create(options: { pageSize: number }): Promise<Pager>
  /** Closes `pager` and opens the same storage again: only its last committed checkpoint survives. */
  reopen(pager: Pager): Promise<Pager>
}

/** mulberry32: a tiny seeded generator, so every random workload replays from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/**
 * Fills a page body with a pattern derived from `tag` (the tag itself in the first four bytes), so a
 * page read back can be recognised — or told to be some other page's content, or garbage.
 */
export function stamp(body: Uint8Array, tag: number): void {
  let x = tag >>> 0 || 0x9e3779b9
  for (let i = 0; i < body.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    body[i] = x & 0xff
  }
  new DataView(body.buffer, body.byteOffset, body.byteLength).setUint32(0, tag >>> 0, true)
}

/** `tag N` when the body is exactly what `stamp(body, N)` wrote, otherwise a short description. */
export function describeBody(body: Uint8Array): string {
  if (body.length < 4) return `body of ${body.length} bytes`
  const tag = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true)
  if (tag === 0 && body.every((byte) => byte === 0)) return 'zeros'
  const expected = new Uint8Array(body.length)
  stamp(expected, tag)
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== expected[i]) return `tag ${tag} damaged at byte ${i}`
  }
  return `tag ${tag}`
}

/** The error code `fn` throws, or a description of what it did instead. */
export function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    return TinyDbError.isInstance(error) ? error.code : `non-TinyDbError: ${String(error)}`
  }
  return 'no error'
}

export async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn()
  } catch (error) {
    return TinyDbError.isInstance(error) ? error.code : `non-TinyDbError: ${String(error)}`
  }
  return 'no error'
}

/**
 * The accounting contract: the live pages (those the caller's structure references) together with
 * the pager's `internal`, `free`, `pendingFree` and `retained` pages cover [0, pageCount) exactly once each.
 * Returns the problems found (empty when the partition is exact).
 */
export function partitionProblems(pager: Pager, live: Iterable<number>): string[] {
  const accounting = pager.accounting()
  const owner = new Map<number, string>()
  const problems: string[] = []
  const claim = (ids: Iterable<number>, what: string): void => {
    for (const id of ids) {
      const previous = owner.get(id)
      if (previous !== undefined) problems.push(`page ${id} is both ${previous} and ${what}`)
      else owner.set(id, what)
      if (!Number.isInteger(id) || id < 0 || id >= accounting.pageCount) problems.push(`${what} page ${id} is outside [0, ${accounting.pageCount})`)
    }
  }
  claim(live, 'live')
  claim(accounting.internal, 'internal')
  claim(accounting.free, 'free')
  claim(accounting.pendingFree, 'pendingFree')
  claim(accounting.retained, 'retained')
  for (let id = 0; id < accounting.pageCount; id++) {
    if (!owner.has(id)) problems.push(`page ${id} is unaccounted for`)
  }
  if (!accounting.internal.includes(0) || !accounting.internal.includes(1)) problems.push('meta pages 0 and 1 are not internal')
  return problems.slice(0, 10)
}

/** Lets promise continuations (a commit in progress) run a little, without waiting for real I/O. */
export async function yieldMicrotasks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve()
}
