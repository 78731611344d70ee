import type { BTree } from '@tinydb/kv'
import type { LogOperation } from './record-format.js'

/**
 * Applies one decoded record to the tree. Both the live write path and replay go through here, so a
 * recovered store is built by exactly the code that built the original.
 */
export function applyOperations(tree: BTree, operations: readonly LogOperation[]): void {
  for (const operation of operations) {
    if (operation.type === 'put') tree.put(operation.key, operation.value)
    else tree.del(operation.key)
  }
}
