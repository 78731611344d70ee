import { compareKeys, isKeyInRange, type KeyRange, type TreeCursor } from '@tinydb/kv'

/** A write a transaction has buffered: a value, or `undefined` for a delete. */
export interface BufferedWrite {
  readonly key: Uint8Array
  readonly value: Uint8Array | undefined
}

/**
 * The entries of a range as a transaction sees them: its buffered writes laid over the tree's
 * entries, merged in key order. A buffered value replaces the tree's, a buffered delete hides it.
 */
export class OverlayCursor implements TreeCursor {
  private readonly writes: BufferedWrite[]
  private position = 0
  private pendingTreeEntry: [Uint8Array, Uint8Array] | undefined
  private treeDone = false
  private readonly direction: 1 | -1

  /** @param writes every buffered write, ascending by key (filtered to the range here). */
  constructor(
    private readonly tree: TreeCursor,
    writes: readonly BufferedWrite[],
    range: KeyRange,
  ) {
    const inRange = writes.filter(({ key }) => isKeyInRange(key, range))
    this.writes = range.reverse === true ? inRange.reverse() : inRange
    this.direction = range.reverse === true ? -1 : 1
  }

  next(): [key: Uint8Array, value: Uint8Array] | undefined {
    for (;;) {
      const fromTree = this.peekTree()
      const write = this.writes[this.position]
      if (write === undefined) {
        this.pendingTreeEntry = undefined
        return fromTree
      }
      const order = fromTree === undefined ? 1 : compareKeys(fromTree[0], write.key) * this.direction
      if (order < 0) {
        this.pendingTreeEntry = undefined
        return fromTree
      }
      // The buffered write comes first, or replaces (hides) the tree's entry for the same key.
      if (order === 0) this.pendingTreeEntry = undefined
      this.position++
      if (write.value !== undefined) return [write.key.slice(), write.value.slice()]
    }
  }

  private peekTree(): [Uint8Array, Uint8Array] | undefined {
    if (this.pendingTreeEntry === undefined && !this.treeDone) {
      this.pendingTreeEntry = this.tree.next()
      if (this.pendingTreeEntry === undefined) this.treeDone = true
    }
    return this.pendingTreeEntry
  }
}
