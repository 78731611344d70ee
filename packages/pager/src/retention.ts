import { TinyDbError } from '@tinydb/vfs'
import type { PageRetention } from './pager.js'

/** One live retention and the freed pages it keeps from reuse. */
class LiveRetention implements PageRetention {
  /** Pages freed while this was the newest live retention, or handed down from a newer one. */
  readonly held: number[] = []
  released = false

  constructor(
    private readonly owner: Retentions,
    /** Pages allocated at a generation below this one existed when the retention was taken. */
    readonly generation: number,
  ) {}

  get retainedPages(): number {
    return this.held.length
  }

  release(): void {
    if (this.released) return
    this.released = true
    this.owner.release(this)
  }
}

/**
 * The bookkeeping behind `Pager.retain()`, shared by every pager: which freed pages a live
 * retention may still read, and which pages are frozen.
 *
 * Invariant: a page freed while a retention is live is reused only after every retention that
 * may read it is released. A freed page is attached to the newest live retention (the newest one
 * that can have seen it); when that one is released the page passes to the next older live one,
 * which may have seen it too; only when none is left is it reusable. This can hold a page longer
 * than needed (an older retention may never have seen it) but never too short.
 *
 * Frozen pages: every page allocated before the newest live retention is read-only, even one the
 * pager would otherwise let the caller modify in place, because that retention may read it. Pages
 * carry the generation they were allocated in; `retain()` starts a new generation, so freezing is
 * O(1). When the newest retention is released, pages allocated after the remaining ones thaw.
 */
export class Retentions {
  private readonly live: LiveRetention[] = []
  private readonly holder = new Map<number, LiveRetention>()
  /** Freed pages that wait for nothing but their retention: no checkpoint references them. */
  private readonly unreferenced = new Set<number>()
  private generation = 0

  /** @param onReusable called for a page in `unreferenced` once no retention holds it. */
  constructor(private readonly onReusable: (pageId: number) => void) {}

  /** The generation a page allocated now belongs to. */
  get currentGeneration(): number {
    return this.generation
  }

  /** Pages allocated at a generation below this are frozen. 0 when no retention is live. */
  get frozenBelow(): number {
    return this.live.at(-1)?.generation ?? 0
  }

  get liveCount(): number {
    return this.live.length
  }

  /** Pages some live retention keeps from reuse. */
  get heldCount(): number {
    return this.holder.size
  }

  retain(): PageRetention {
    const retention = new LiveRetention(this, ++this.generation)
    this.live.push(retention)
    return retention
  }

  /**
   * The current structure freed `pageId`: when a retention is live, it now holds the page. Returns
   * whether one does.
   */
  holdIfRetained(pageId: number): boolean {
    const newest = this.live.at(-1)
    if (newest === undefined) return false
    newest.held.push(pageId)
    this.holder.set(pageId, newest)
    return true
  }

  /**
   * No checkpoint needs `pageId` any more. Returns true when a retention still holds it (the pager
   * must not reuse it: `onReusable` will be called on release), false when it is reusable now.
   */
  deferReuse(pageId: number): boolean {
    if (!this.holder.has(pageId)) return false
    this.unreferenced.add(pageId)
    return true
  }

  /** Freed pages no checkpoint references that wait only for a retention (they are free on disk). */
  unreferencedPages(): readonly number[] {
    return [...this.unreferenced]
  }

  isUnreferenced(pageId: number): boolean {
    return this.unreferenced.has(pageId)
  }

  /** Drops every retention without reusing anything: the pager is closing. */
  clear(): void {
    for (const retention of this.live) retention.released = true
    this.live.length = 0
    this.holder.clear()
    this.unreferenced.clear()
  }

  release(retention: LiveRetention): void {
    const index = this.live.indexOf(retention)
    if (index < 0) throw new TinyDbError('INVALID_ARGUMENT', 'the retention was already released')
    this.live.splice(index, 1)
    const older = index > 0 ? this.live[index - 1] : undefined
    for (const pageId of retention.held) {
      if (older !== undefined) {
        older.held.push(pageId)
        this.holder.set(pageId, older)
        continue
      }
      this.holder.delete(pageId)
      if (this.unreferenced.delete(pageId)) this.onReusable(pageId)
    }
    retention.held.length = 0
  }
}
