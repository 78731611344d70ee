import type { BTree } from '@tinydb/kv'

/** Every entry of `tree` in key order, read lazily through a cursor (copies, safe to keep). */
export function* treeEntries(tree: BTree): Generator<[key: Uint8Array, value: Uint8Array]> {
  const cursor = tree.cursor()
  for (let entry = cursor.next(); entry !== undefined; entry = cursor.next()) yield entry
}
