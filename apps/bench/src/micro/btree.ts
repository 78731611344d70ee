import { bench, do_not_optimize, group } from 'mitata'
import { BTree } from '@tinydb/kv'
import { MemoryPager } from '@tinydb/pager'
import type { FloorPairing } from './pairing.js'

const KEYS = 100_000
const KEY_SIZE = 16
const VALUE_SIZE = 128

/** Deterministic keys (xorshift32, seed 0x9e3779b9): the same tree on every run. */
function makeKeys(): Uint8Array[] {
  let state = 0x9e3779b9
  const next = () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return state >>> 0
  }
  return Array.from({ length: KEYS }, () => {
    const key = new Uint8Array(KEY_SIZE)
    const view = new DataView(key.buffer)
    for (let offset = 0; offset < KEY_SIZE; offset += 4) view.setUint32(offset, next())
    return key
  })
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const difference = (a[index] as number) - (b[index] as number)
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

/** Binary search of a sorted array: the least an ordered in-memory lookup can cost. */
function binarySearch(sorted: readonly Uint8Array[], key: Uint8Array): number {
  let low = 0
  let high = sorted.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const order = compareBytes(sorted[middle] as Uint8Array, key)
    if (order === 0) return middle
    if (order < 0) low = middle + 1
    else high = middle - 1
  }
  return -1
}

interface Fixture {
  readonly keys: readonly Uint8Array[]
  readonly sorted: readonly Uint8Array[]
  readonly tree: BTree
  readonly value: Uint8Array
}

function buildFixture(): Fixture {
  const keys = makeKeys()
  const value = new Uint8Array(VALUE_SIZE).fill(0x61)
  const tree = new BTree(new MemoryPager({ pageSize: 4096 }), 0)
  for (const key of keys) tree.put(key, value)
  return { keys, sorted: [...keys].sort(compareBytes), tree, value }
}

/**
 * B+tree lookups and overwrites on the in-memory pager (no I/O: this is the tree's own cost) against
 * a binary search of the same keys in a sorted array. Keys are visited in insertion order, which is
 * random with respect to key order. No checkpoint is taken, so every page stays writable and puts
 * update in place; after a checkpoint a put first copies its path (copy-on-write).
 */
export function btreeBenchmarks(): FloorPairing[] {
  let fixture: Fixture | undefined
  const get = () => (fixture ??= buildFixture())
  const names = {
    floor: `floor: binary search of ${KEYS / 1000}k sorted keys`,
    get: `btree.get, ${KEYS / 1000}k keys`,
    put: `btree.put (overwrite), ${KEYS / 1000}k keys`,
  }

  group(`kv: B+tree on MemoryPager, ${KEY_SIZE}-byte keys, ${VALUE_SIZE}-byte values`, () => {
    bench(names.floor, function* () {
      const { keys, sorted } = get()
      let next = 0
      yield () => {
        do_not_optimize(binarySearch(sorted, keys[next] as Uint8Array))
        next = (next + 1) % keys.length
      }
    })
    bench(names.get, function* () {
      const { keys, tree } = get()
      let next = 0
      yield () => {
        do_not_optimize(tree.get(keys[next] as Uint8Array))
        next = (next + 1) % keys.length
      }
    })
    bench(names.put, function* () {
      const { keys, tree, value } = get()
      let next = 0
      yield () => {
        tree.put(keys[next] as Uint8Array, value)
        next = (next + 1) % keys.length
      }
    })
  })

  return [
    { name: names.get, floor: names.floor, opsPerIteration: 1 },
    { name: names.put, floor: names.floor, opsPerIteration: 1 },
  ]
}
