import type { PageRetention } from '@tinydb/pager'
import { TinyDbError } from '@tinydb/vfs'
import type { TreeContext } from './context.js'
import { BTreeCursor, assertRange, type CursorSource, type KeyRange, type TreeCursor } from './cursor.js'
import { assertKey } from './key.js'
import { containsKey, lookupValue } from './lookup.js'
import { walkTree, type TreeCheckReport } from './check.js'

/**
 * The tree as it was when `BTree.snapshot()` was called. Its root and every page below it stay as
 * they were because the pager's retention freezes them (the writer copies instead of modifying) and
 * keeps each one it frees from reuse until `release()`. Reads after the release throw CLOSED: the
 * pages may have been reused by then, so reading them could return another state's data.
 */
export class TreeSnapshot implements CursorSource {
  private released = false

  constructor(
    private readonly context: TreeContext,
    private readonly root: number,
    private readonly retention: PageRetention,
  ) {}

  /** The root page id the view reads from; throws CLOSED after `release()`. */
  get rootPageId(): number {
    this.assertLive()
    return this.root
  }

  /** A snapshot never changes, so its cursors never re-seek; throws CLOSED after `release()`. */
  get version(): number {
    this.assertLive()
    return 0
  }

  /** Pages freed since the snapshot that it keeps from reuse: what holding it costs. */
  get retainedPages(): number {
    return this.retention.retainedPages
  }

  get(key: Uint8Array): Uint8Array | undefined {
    assertKey(key)
    this.assertLive()
    return lookupValue(this.context, this.root, key)
  }

  has(key: Uint8Array): boolean {
    assertKey(key)
    this.assertLive()
    return containsKey(this.context, this.root, key)
  }

  cursor(range: KeyRange = {}): TreeCursor {
    assertRange(range)
    this.assertLive()
    return new BTreeCursor(this.context, this, range)
  }

  /**
   * The tree integrity check of `BTree.check`, over this snapshot, one page per step (the number of
   * pages visited so far): the pages cannot change under it, so the caller may yield between steps.
   */
  *check(): Generator<number, TreeCheckReport, void> {
    const steps = walkTree(this.context, this.root)
    for (;;) {
      this.assertLive()
      const step = steps.next()
      if (step.done === true) return step.value
      yield step.value
    }
  }

  /** Idempotent. */
  release(): void {
    if (this.released) return
    this.released = true
    this.retention.release()
  }

  private assertLive(): void {
    if (this.released) throw new TinyDbError('CLOSED', 'the snapshot was released')
  }
}
