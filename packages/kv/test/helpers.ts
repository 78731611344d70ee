import type { Pager } from '@tinydb/pager'
import { expect } from 'vitest'
import { compareKeys } from '../src/compare.js'
import type { BTree, KeyRange, TreeCursor } from '../src/index.js'

/** A tree or a snapshot of one. */
export interface Scannable {
  cursor(range?: KeyRange): TreeCursor
}

/** A small seeded PRNG (mulberry32): every randomized test is reproducible from its printed seed. */
export class Random {
  private state: number
  constructor(readonly seed: number) {
    this.state = seed >>> 0
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = this.int(256)
    return out
  }
}

/** The seed for a randomized test: TINYDB_SEED when set, otherwise a fixed default. Printed. */
export function testSeed(name: string, fallback: number): number {
  const fromEnv = process.env['TINYDB_SEED']
  const seed = fromEnv === undefined ? fallback : Number(fromEnv)
  console.log(`${name}: seed ${seed} (rerun with TINYDB_SEED=${seed})`)
  return seed
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** The reference model: a plain map with the tree's key order. */
export class SortedModel {
  readonly entries = new Map<string, { key: Uint8Array; value: Uint8Array }>()
  private sortedCache: Array<{ key: Uint8Array; value: Uint8Array }> | undefined

  put(key: Uint8Array, value: Uint8Array): void {
    this.entries.set(hex(key), { key: key.slice(), value: value.slice() })
    this.sortedCache = undefined
  }
  del(key: Uint8Array): boolean {
    this.sortedCache = undefined
    return this.entries.delete(hex(key))
  }
  get(key: Uint8Array): Uint8Array | undefined {
    return this.entries.get(hex(key))?.value
  }
  clone(): SortedModel {
    const copy = new SortedModel()
    for (const [k, v] of this.entries) copy.entries.set(k, v)
    return copy
  }
  /** Entries in key order (do not modify the returned array). */
  sorted(): ReadonlyArray<{ key: Uint8Array; value: Uint8Array }> {
    this.sortedCache ??= [...this.entries.values()].sort((a, b) => compareKeys(a.key, b.key))
    return this.sortedCache
  }
  range(range: KeyRange): Array<{ key: Uint8Array; value: Uint8Array }> {
    const selected = this.sorted().filter(({ key }) => inRange(key, range))
    return range.reverse === true ? selected.reverse() : selected
  }
}

/** The test's own oracle for range bounds, independent of the cursor's code. */
export function inRange(key: Uint8Array, range: KeyRange): boolean {
  if (range.gte !== undefined && compareKeys(key, range.gte) < 0) return false
  if (range.gt !== undefined && compareKeys(key, range.gt) <= 0) return false
  if (range.lte !== undefined && compareKeys(key, range.lte) > 0) return false
  if (range.lt !== undefined && compareKeys(key, range.lt) >= 0) return false
  return true
}

export function collect(tree: Scannable, range: KeyRange = {}): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const cursor = tree.cursor(range)
  for (let entry = cursor.next(); entry !== undefined; entry = cursor.next()) out.push([hex(entry[0]), hex(entry[1])])
  return out
}

export function modelRange(model: SortedModel, range: KeyRange = {}): Array<[string, string]> {
  return model.range(range).map(({ key, value }) => [hex(key), hex(value)])
}

/**
 * The tree is sound and the tree's pages plus the pager's bookkeeping partition the file exactly
 * (no leaked page, no page both free and in use). Cheap on success: it runs after every command of
 * the model tests.
 */
export function expectSoundTree(tree: BTree, pager: Pager): void {
  const report = tree.check()
  if (report.problems.length > 0) expect(report.problems).toEqual([])
  expectPartition(pager, report.reachablePages)
}

export function expectPartition(pager: Pager, reachablePages: readonly number[]): void {
  const accounting = pager.accounting()
  const seen = new Uint8Array(accounting.pageCount)
  const duplicated: number[] = []
  for (const list of [accounting.internal, accounting.free, accounting.pendingFree, accounting.retained, reachablePages]) {
    for (const id of list) {
      if (id >= accounting.pageCount || seen[id] !== 0) duplicated.push(id)
      else seen[id] = 1
    }
  }
  const missing = seen.indexOf(0) < 0 ? [] : [...seen.keys()].filter((id) => seen[id] === 0)
  if (duplicated.length > 0 || missing.length > 0) expect({ duplicated, missing }).toEqual({ duplicated: [], missing: [] })
}

/** The tree's scan of `range` equals the model's; reports the first differing entry. */
export function expectScan(tree: Scannable, model: SortedModel, range: KeyRange = {}): void {
  const actual = collect(tree, range)
  const expected = modelRange(model, range)
  const n = Math.max(actual.length, expected.length)
  for (let i = 0; i < n; i++) {
    const a = actual[i]
    const b = expected[i]
    if (a?.[0] !== b?.[0] || a?.[1] !== b?.[1]) expect({ index: i, entry: a }).toEqual({ index: i, entry: b })
  }
}
