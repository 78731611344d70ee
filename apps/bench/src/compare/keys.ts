/** Sizes fixed by the table: 16-byte keys, 128-byte values. */
export const KEY_SIZE = 16
export const VALUE_SIZE = 128

/** A 32-bit integer hash (lowbias32): spreads consecutive indexes over the key space. */
function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/**
 * The key of entry `index`: 8 hashed bytes (so inserts arrive in random key order, as they would
 * from real ids) followed by the index itself (so keys are distinct). Deterministic.
 */
export function keyOf(index: number): Buffer {
  const key = Buffer.allocUnsafe(KEY_SIZE)
  key.writeUInt32BE(mix32(index), 0)
  key.writeUInt32BE(mix32(index ^ 0x9e3779b9), 4)
  key.writeUInt32BE(Math.floor(index / 2 ** 32), 8)
  key.writeUInt32BE(index >>> 0, 12)
  return key
}

/** The value of entry `index`: 128 bytes that do not compress to nothing. */
export function valueOf(index: number): Buffer {
  const value = Buffer.allocUnsafe(VALUE_SIZE)
  let state = mix32(index + 1) || 1
  for (let at = 0; at < VALUE_SIZE; at += 4) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    value.writeUInt32LE(state >>> 0, at)
  }
  return value
}

/** xorshift32 over [0, bound): the random visiting order of W4. */
export function randomIndexes(count: number, bound: number, seed: number): Uint32Array {
  const indexes = new Uint32Array(count)
  let state = seed >>> 0 || 1
  for (let i = 0; i < count; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    indexes[i] = (state >>> 0) % bound
  }
  return indexes
}
