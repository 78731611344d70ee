import type { TreeSnapshot } from '@tinydb/kv'
import type { SnapshotInfo } from './types.js'

interface OpenSnapshot {
  readonly id: number
  readonly kind: SnapshotInfo['kind']
  readonly openedAt: number
  readonly tree: TreeSnapshot
}

/**
 * The snapshots a store has open — explicit ones and the implicit one under each running scan — so
 * `stats()` can show what each costs (age, pages retained) and `close()` can release them all.
 */
export class SnapshotRegistry {
  private readonly open = new Map<number, OpenSnapshot>()
  private nextId = 1

  add(tree: TreeSnapshot, kind: SnapshotInfo['kind']): number {
    const id = this.nextId++
    this.open.set(id, { id, kind, openedAt: performance.now(), tree })
    return id
  }

  /** Releases the snapshot's pages; idempotent. */
  release(id: number): void {
    const entry = this.open.get(id)
    if (entry === undefined) return
    this.open.delete(id)
    entry.tree.release()
  }

  releaseAll(): void {
    for (const id of [...this.open.keys()]) this.release(id)
  }

  /** Oldest first. */
  list(): SnapshotInfo[] {
    const now = performance.now()
    return [...this.open.values()].map(({ id, kind, openedAt, tree }) => ({
      id,
      kind,
      ageMs: Math.round(now - openedAt),
      retainedPages: tree.retainedPages,
    }))
  }
}
