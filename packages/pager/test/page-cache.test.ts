import { describe, expect, it } from 'vitest'
import { PageCache, ResidentPage } from '../src/page-cache.js'
import type { Page } from '../src/pager.js'

const page = (id: number, residency: 'writable' | 'sealed' | 'clean' = 'clean'): ResidentPage => new ResidentPage(new Uint8Array(64), id, 16, residency)

describe('PageCache', () => {
  it('evicts clean pages beyond capacity in the order they came, sparing one hit since it was queued', () => {
    const cache = new PageCache(3)
    for (const id of [1, 2, 3]) cache.addClean(page(id))
    cache.get(1) // order, oldest first: 2, 3, 1
    cache.addClean(page(4))
    expect([1, 2, 3, 4].map((id) => cache.peek(id) !== undefined)).toEqual([true, false, true, true])
    cache.addClean(page(5))
    expect([1, 3, 4, 5].map((id) => cache.peek(id) !== undefined)).toEqual([true, false, true, true])
    expect(cache.cleanPages).toBe(3)
  })

  it('never evicts pinned pages, and counts them against the capacity', () => {
    const cache = new PageCache(3)
    const pinned = [page(10, 'writable'), page(11, 'sealed')]
    for (const entry of pinned) cache.addPinned(entry)
    for (const id of [1, 2, 3]) cache.addClean(page(id))
    // Two pinned pages leave room for one clean page: the newest.
    expect([cache.pinnedPages, cache.cleanPages]).toEqual([2, 1])
    expect([cache.peek(10), cache.peek(11), cache.peek(3)].every((entry) => entry !== undefined)).toBe(true)
    cache.markClean(pinned[1]!) // sealed page written: now evictable, and the newest
    expect([cache.pinnedPages, cache.cleanPages, cache.peek(3) !== undefined, cache.peek(11) !== undefined]).toEqual([1, 2, true, true])
    cache.addPinned(page(12, 'writable')) // a new pinned page takes the oldest clean page's room
    expect([cache.pinnedPages, cache.cleanPages, cache.peek(3), cache.peek(11)]).toEqual([2, 1, undefined, pinned[1]])
  })

  it('discard drops a held page and keeps its entry for reuse; an id it does not hold is a no-op', () => {
    const cache = new PageCache(3)
    const entry = page(1)
    cache.addClean(entry)
    cache.addClean(page(2))
    cache.discard(1)
    cache.discard(7)
    expect([cache.peek(1), cache.cleanPages, cache.recycledPages, cache.takeRecycled()]).toEqual([undefined, 1, 1, entry])
  })

  it('keeps only pinned pages once they alone exceed the capacity', () => {
    const cache = new PageCache(2)
    for (const id of [1, 2]) cache.addClean(page(id))
    for (const id of [10, 11, 12]) cache.addPinned(page(id, 'writable'))
    expect([cache.pinnedPages, cache.cleanPages, cache.peek(1), cache.peek(2)]).toEqual([3, 0, undefined, undefined])
    cache.addClean(page(3))
    expect([cache.cleanPages, cache.peek(3)]).toEqual([0, undefined])
  })

  it('with capacity 0 keeps only pinned pages', () => {
    const cache = new PageCache(0)
    const sealed = page(7, 'sealed')
    cache.addPinned(sealed)
    cache.addClean(page(1))
    expect([cache.peek(1), cache.peek(7)]).toEqual([undefined, sealed])
    cache.markClean(sealed)
    expect([cache.peek(7), cache.cleanPages, cache.pinnedPages]).toEqual([undefined, 0, 0])
  })

  it('delete unlinks clean pages so the list stays consistent', () => {
    const cache = new PageCache(2)
    for (const id of [1, 2]) cache.addClean(page(id))
    cache.delete(1)
    cache.delete(2)
    cache.delete(3)
    for (const id of [4, 5, 6]) cache.addClean(page(id))
    expect([4, 5, 6].map((id) => cache.peek(id) !== undefined)).toEqual([false, true, true])
    expect(cache.cleanPages).toBe(2)
  })

  it('hands out evicted clean entries for reuse, never a pinned or resident one', () => {
    const cache = new PageCache(2)
    const clean = [page(1), page(2), page(3)]
    for (const entry of clean) cache.addClean(entry)
    cache.addPinned(page(10, 'writable')) // evicts 2 as well: the pinned page takes a clean page's room
    expect([cache.recycledPages, cache.peek(1), cache.peek(2)]).toEqual([2, undefined, undefined])
    const taken = [cache.takeRecycled(), cache.takeRecycled(), cache.takeRecycled()]
    expect(taken).toEqual([clean[1], clean[0], undefined])
    expect(cache.delete(3)).toBe(clean[2]) // deleted, not evicted: the caller decides what becomes of it
    expect(cache.recycledPages).toBe(0)
  })

  it('keeps every entry let go, so a pager that takes from the pool first allocates no more images than it ever held', () => {
    const cache = new PageCache(200)
    let allocated = 0
    // A pager's miss: an image from the pool, else a new one; then held as clean (evicting past the budget).
    const miss = (id: number): void => {
      const entry = cache.takeRecycled()?.reuse(id, 16, 'clean') ?? (allocated++, page(id))
      cache.addClean(entry)
    }
    for (let id = 1; id <= 200; id++) miss(id)
    for (let id = 1; id <= 150; id++) cache.recycle(cache.delete(id)!) // a checkpoint releasing many pages
    expect([cache.cleanPages, cache.recycledPages]).toEqual([50, 150])
    for (let id = 1000; id < 11_000; id++) miss(id)
    // One over the budget, once: the first miss on the full cache holds its page before evicting one.
    expect([allocated, cache.cleanPages, cache.recycledPages]).toEqual([201, 200, 1])
  })

  it('with no capacity, holds no clean page but keeps its entry for the next read', () => {
    const cache = new PageCache(0)
    const entry = page(1)
    cache.addClean(entry)
    expect([cache.peek(1), cache.cleanPages, cache.takeRecycled()]).toEqual([undefined, 0, entry])
    const pinned = page(2, 'sealed')
    cache.addPinned(pinned)
    cache.markClean(pinned)
    expect([cache.peek(2), cache.takeRecycled()]).toEqual([undefined, pinned])
  })

  it('a recycled entry stands for its new page, with the same image and body: the entry is the Page handed out', () => {
    const entry = page(1)
    const view: Page = entry
    const body = entry.body
    entry.generation = 5
    entry.reuse(9, 20, 'writable')
    expect([view.id, view.type, entry.residency, entry.generation]).toEqual([9, 20, 'writable', 0])
    expect(view.body).toBe(body)
    expect(view.body.buffer).toBe(entry.image.buffer)
  })

  it('keeps a page hit between evictions through any number of misses (the path every lookup takes)', () => {
    const cache = new PageCache(8)
    const root = page(1)
    cache.addClean(root)
    for (let id = 100; id < 1000; id++) {
      cache.addClean(page(id))
      expect(cache.get(1)).toBe(root)
    }
    // Without hits it goes the way of the others.
    for (let id = 1000; id < 1016; id++) cache.addClean(page(id)) // one round to clear its flag, one to evict it
    expect(cache.peek(1)).toBeUndefined()
  })

  it('keeps the eviction order when it squeezes the holes out of the queue', () => {
    const cache = new PageCache(400)
    for (let id = 1; id <= 400; id++) cache.addClean(page(id))
    cache.addClean(page(401)) // evicts 1, the head
    // 284 holes: the queue (401 slots) is squeezed once fewer than 168 entries are left in it.
    for (let id = 2; id <= 380; id++) if (id % 4 !== 0) cache.delete(id)
    expect(cache.cleanPages).toBe(116)
    cache.get(4) // a second chance for the head
    for (let id = 500; id < 800; id++) cache.addClean(page(id)) // 16 evictions, from the head on
    const held = (ids: number[]): boolean[] => ids.map((id) => cache.peek(id) !== undefined)
    expect(held([4, 8, 12, 68, 72, 76, 380, 381, 401, 799])).toEqual([true, false, false, false, true, true, true, true, true, true])
    expect(cache.cleanPages).toBe(400)
  })
})
