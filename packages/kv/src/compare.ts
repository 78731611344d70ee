/**
 * The one key order of the tree: byte-wise unsigned, like `memcmp`, a proper prefix sorting first.
 * Every function returns a negative number, 0 or a positive number. The loops are written out by
 * hand because the search path compares against key bytes that live inside a page body, and a
 * `subarray` view per comparison (to use `Buffer.compare`) would allocate on every probe.
 */

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const aLength = a.length
  const bLength = b.length
  const n = aLength < bLength ? aLength : bLength
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return aLength - bLength
}

/** Compares `key` with the `length` bytes of `bytes` at `start`. */
export function compareKeyWithBytes(key: Uint8Array, bytes: Uint8Array, start: number, length: number): number {
  return compareByteRanges(key, 0, key.length, bytes, start, length)
}

/** Compares two byte ranges, e.g. two keys stored in pages. */
export function compareByteRanges(
  a: Uint8Array,
  aStart: number,
  aLength: number,
  b: Uint8Array,
  bStart: number,
  bLength: number,
): number {
  const n = aLength < bLength ? aLength : bLength
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!
    if (d !== 0) return d
  }
  return aLength - bLength
}

/**
 * The shortest key `s` with `left < s <= right`, given `left < right` (suffix truncation: shorter
 * separators mean more children per branch page and a shallower tree). It is a prefix of `right`:
 * one byte past the common prefix of the two keys.
 */
export function shortestSeparator(
  left: Uint8Array,
  leftStart: number,
  leftLength: number,
  right: Uint8Array,
  rightStart: number,
  rightLength: number,
): Uint8Array {
  const n = leftLength < rightLength ? leftLength : rightLength
  let common = 0
  while (common < n && left[leftStart + common] === right[rightStart + common]) common++
  // left < right, so right is not a prefix of left and common < rightLength.
  const length = common + 1
  const separator = new Uint8Array(length)
  for (let i = 0; i < length; i++) separator[i] = right[rightStart + i]!
  return separator
}
