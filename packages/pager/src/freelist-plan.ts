import type { CheckpointPage } from './checkpoint-writer.js'
import type { FreePages } from './freelist.js'
import { encodeFreeListPage, freeListCapacity } from './freelist-format.js'
import type { PageChecksum } from './page-checksum.js'
import { PAGE_TYPE_FREE_LIST } from './page-format.js'

/** The free list a sealed checkpoint records, and the pages its chain occupies. */
export interface FreeListPlan {
  /** The chain, ascending: free-list pages of the sealed checkpoint (the pager's own pages). */
  readonly freeListPageIds: readonly number[]
  /** What the chain lists, ascending. */
  readonly freePageIds: readonly number[]
}

export interface FreeListInput {
  readonly pageSize: number
  /** Free now. Chain pages are taken out of it. */
  readonly free: FreePages
  /** Freed since the last seal: the durable checkpoint references them, the sealed one does not. */
  readonly releasedAtCommit: ReadonlySet<number>
  /** Freed, referenced by no checkpoint, kept from reuse only by live retentions: free on disk. */
  readonly retained: readonly number[]
  /** The chain of the checkpoint this one follows: this one no longer needs it. */
  readonly previousChain: readonly number[]
  /**
   * What the commits of checkpoints sealed before this one, and not yet durable, will release:
   * free in this one, which reaches the disk only after them.
   */
  readonly releasedEarlier: readonly number[]
  /** Takes a page at the end of the file. */
  readonly grow: () => number
}

/**
 * Plans the free list at the seal. Every page free in the sealed checkpoint is listed: free now,
 * freed since the last seal, the previous chain, and what earlier checkpoints still in flight
 * release. The new chain lives on pages no durable meta
 * references — taken from the free pages where that still leaves a page's worth of entries to
 * list (else taking one would only move it from the list into the chain), otherwise at the end of
 * the file — so a crash during the commit leaves the previous chain intact.
 */
export function planFreeList(input: FreeListInput): FreeListPlan {
  const capacity = freeListCapacity(input.pageSize)
  const chainLength = (entries: number): number => Math.ceil(entries / capacity)
  let entries = input.free.size + input.releasedAtCommit.size + input.retained.length + input.previousChain.length + input.releasedEarlier.length
  const chain: number[] = []
  while (chain.length < chainLength(entries)) {
    if (input.free.size > 0 && chainLength(entries - 1) > chain.length) {
      chain.push(input.free.takeLowest()!)
      entries--
    } else {
      chain.push(input.grow())
    }
  }
  // A typed sort (numeric, no comparator calls): this runs at every seal, over every free page.
  const free = input.free.toArray()
  const sorted = new Uint32Array(entries)
  let at = 0
  for (const part of [free, input.releasedAtCommit, input.retained, input.previousChain, input.releasedEarlier]) {
    for (const id of part) sorted[at++] = id
  }
  return { freeListPageIds: chain.sort(ascending), freePageIds: Array.from(sorted.sort()) }
}

/** The most pages a plan's chain can need, for a bound check before anything is taken. */
export function maxChainLength(pageSize: number, entries: number): number {
  return Math.ceil(entries / freeListCapacity(pageSize))
}

/** The chain's page images, each listing its share of the free pages and linking to the next. */
export function freeListPages(pageSize: number, plan: FreeListPlan, checkpointId: number, checksum: PageChecksum): CheckpointPage[] {
  const capacity = freeListCapacity(pageSize)
  const chain = plan.freeListPageIds
  return chain.map((id, index) => {
    const image = new Uint8Array(pageSize)
    const pageIds = plan.freePageIds.slice(index * capacity, (index + 1) * capacity)
    encodeFreeListPage(image, id, { nextPageId: chain[index + 1] ?? 0, pageIds }, checkpointId, checksum)
    return { id, type: PAGE_TYPE_FREE_LIST, image, stamped: true }
  })
}

function ascending(a: number, b: number): number {
  return a - b
}
