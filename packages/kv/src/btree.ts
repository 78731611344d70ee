import type { Pager } from '@tinydb/pager'
import { TinyDbError } from '@tinydb/vfs'
import { checkTree, type TreeCheckReport } from './check.js'
import { TreeContext } from './context.js'
import { BTreeCursor, assertRange, type KeyRange, type TreeCursor } from './cursor.js'
import { assertKey } from './key.js'
import { treeLimits, usesKeyHeads, type TreeLimits } from './limits.js'
import { containsKey, lookupValue } from './lookup.js'
import { TreeWriter } from './mutate.js'
import { TreeSnapshot } from './snapshot.js'
import { treeDepth, treeStats, type TreeStats } from './stats.js'

export interface BTreeOptions {
  /** Named in CORRUPTION errors (the pager's data file, say); defaults to `btree`. */
  readonly file?: string
}

/**
 * An ordered map of byte keys to byte values: a copy-on-write B+tree over a `Pager`. Every method
 * is synchronous and runs to completion, so a reader never observes a half-applied mutation.
 * Pages that the last checkpoint may reference are never modified in place (see cow.ts);
 * `rootPageId` therefore changes as the tree is modified, and is what a checkpoint records.
 */
export class BTree {
  private readonly context: TreeContext
  private readonly writer: TreeWriter
  private readonly treeLimits: TreeLimits
  private mutations = 0

  constructor(pager: Pager, rootPageId: number, options: BTreeOptions = {}) {
    if (!Number.isSafeInteger(rootPageId) || rootPageId < 0) {
      throw new TinyDbError('INVALID_ARGUMENT', `rootPageId must be a page id or 0, got ${rootPageId}`)
    }
    this.context = new TreeContext(pager, options.file ?? 'btree')
    this.writer = new TreeWriter(this.context, rootPageId)
    this.treeLimits = BTree.limits(pager.pageSize, pager.formatVersion)
  }

  /**
   * Key and value size limits for a page size and a data-file format version (default: the
   * current one; README, "Limits"); `put` enforces them with TOO_LARGE.
   */
  static limits(pageSize: number, formatVersion?: number): TreeLimits {
    if (!Number.isInteger(pageSize) || pageSize < 512 || pageSize > 65536) {
      throw new TinyDbError('INVALID_ARGUMENT', `pageSize must be an integer in [512, 65536], got ${pageSize}`)
    }
    return treeLimits(pageSize, usesKeyHeads(formatVersion))
  }

  /** The root page id: 0 when the tree is empty. Changes as the tree is modified. */
  get rootPageId(): number {
    return this.writer.root
  }

  /** Increments on every mutation (a `del` of a missing key is none). Cursors use it to re-seek. */
  get version(): number {
    return this.mutations
  }

  /** A copy of the value, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    assertKey(key)
    return lookupValue(this.context, this.writer.root, key)
  }

  has(key: Uint8Array): boolean {
    assertKey(key)
    return containsKey(this.context, this.writer.root, key)
  }

  /** Inserts or replaces. TOO_LARGE (tree unchanged) when the key or value exceeds `limits`. */
  put(key: Uint8Array, value: Uint8Array): void {
    assertKey(key)
    if (!(value instanceof Uint8Array)) throw new TinyDbError('INVALID_ARGUMENT', 'value must be a Uint8Array')
    const { maxKeySize, maxValueSize } = this.treeLimits
    if (key.length > maxKeySize) {
      throw new TinyDbError('TOO_LARGE', `key of ${key.length} bytes exceeds the limit of ${maxKeySize} bytes`)
    }
    if (value.length > maxValueSize) {
      throw new TinyDbError('TOO_LARGE', `value of ${value.length} bytes exceeds the limit of ${maxValueSize} bytes`)
    }
    try {
      this.writer.put(key, value)
    } finally {
      // Even a put that failed half-way (a CORRUPTION met on the way) may have changed pages.
      this.mutations++
    }
  }

  /** Removes the key; returns whether it existed. */
  del(key: Uint8Array): boolean {
    assertKey(key)
    let existed = true
    try {
      existed = this.writer.del(key)
      return existed
    } finally {
      if (existed) this.mutations++
    }
  }

  /** A cursor over `range`; it may be advanced between mutations (see cursor.ts for the guarantee). */
  cursor(range: KeyRange = {}): TreeCursor {
    assertRange(range)
    return new BTreeCursor(this.context, this, range)
  }

  /**
   * A read-only view of the tree as it is now, unaffected by later mutations and checkpoints: the
   * pager freezes today's pages and keeps those the tree frees from reuse until `release()`.
   */
  snapshot(): TreeSnapshot {
    return new TreeSnapshot(this.context, this.writer.root, this.context.pager.retain())
  }

  check(): TreeCheckReport {
    return checkTree(this.context, this.writer.root)
  }

  /** Walks every branch and leaf: proportional to the tree's size. */
  stats(): TreeStats {
    return treeStats(this.context, this.writer.root)
  }

  /** Levels from the root to the leaves (0 when empty), reading one page per level. */
  depth(): number {
    return treeDepth(this.context, this.writer.root)
  }
}
