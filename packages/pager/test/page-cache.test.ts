import { describe, expect, it } from 'vitest'
import { PageCache, ResidentPage } from '../src/page-cache.js'

const page = (id: number, residency: 'writable' | 'sealed' | 'clean' = 'clean'): ResidentPage => new ResidentPage(new Uint8Array(64), id, 16, residency)

describe('PageCache', () => {
  it('evicts the least recently used clean page beyond capacity', () => {
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
})
