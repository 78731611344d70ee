import { codeOf, describeBody, partitionProblems, stamp } from './conformance-support.js'
import type { ConformanceTest, PagerFactory } from './conformance-support.js'
import { FIRST_USER_PAGE_TYPE } from './pager.js'
import type { Pager } from './pager.js'

const USER = FIRST_USER_PAGE_TYPE

/**
 * Free pages across a reopen, and the dirty-page count. A pager may load its free list lazily (the
 * file pager keeps it as read and indexes nothing at open), so these tests ask a reopened pager
 * each question first, before any other call could have built an index.
 */
export function freeListConformance(t: ConformanceTest, factory: PagerFactory): void {
  const { describe, it, expect } = t
  const page = (pager: Pager, tag: number): number => {
    const allocated = pager.allocate(USER)
    stamp(allocated.body, tag)
    return allocated.id
  }
  const commit = (pager: Pager, rootPageId: number, checkpointLsn: number) => pager.beginCheckpoint({ rootPageId, checkpointLsn }).commit()

  /** 400 pages of 512 bytes, two of every three freed and two checkpoints later reusable: a free list of several pages. */
  const reopenedWithFreePages = async (): Promise<{ pager: Pager; live: number[]; free: number[] }> => {
    const pager = await factory.create({ pageSize: 512 })
    const ids: number[] = []
    for (let i = 0; i < 400; i++) ids.push(page(pager, i + 1))
    await commit(pager, ids[0]!, 1)
    const live = ids.filter((_, i) => i % 3 === 0)
    for (const id of ids) if (!live.includes(id)) pager.free(id)
    await commit(pager, ids[0]!, 2)
    await commit(pager, ids[0]!, 3)
    const free = [...pager.accounting().free]
    expect(free.length > 250).toBe(true)
    return { pager: await factory.reopen(pager), live, free }
  }

  describe(`Pager conformance: ${factory.name}: free pages and dirty pages`, () => {
    it('a reopened pager counts its free pages and refuses to read them before anything else is asked', async () => {
      const { pager, live, free } = await reopenedWithFreePages()
      expect(pager.stats().freePages).toBe(free.length)
      const readable = free.filter((id) => codeOf(() => pager.read(id)) !== 'INVALID_ARGUMENT')
      expect(readable).toEqual([])
      expect(live.map((id) => describeBody(pager.read(id).body))).toEqual(live.map((_, i) => `tag ${i * 3 + 1}`))
      expect(codeOf(() => pager.free(free[0]!))).toBe('INVALID_ARGUMENT')
      expect(pager.accounting().free).toEqual(free)
      await pager.close()
    })

    it('a reopened pager hands out every free page once, a page freed meanwhile too, before growing the file', async () => {
      const { pager, live, free } = await reopenedWithFreePages()
      const { pageCount } = pager.accounting()
      const first = free.slice(0, 100).map(() => page(pager, 7))
      const again = [first[5]!, first[50]!]
      for (const id of again) pager.free(id) // never checkpointed: reusable at once
      const rest = [...free.slice(100), ...again].map(() => page(pager, 8))
      const handedOut = [...first.filter((id) => !again.includes(id)), ...rest].sort((a, b) => a - b)
      expect(handedOut).toEqual([...free].sort((a, b) => a - b))
      expect([pager.accounting().pageCount, pager.stats().freePages]).toEqual([pageCount, 0])
      expect(page(pager, 9)).toBe(pageCount)
      expect(partitionProblems(pager, [...live, ...handedOut, pageCount])).toEqual([])
      await pager.close()
    })

    it('dirtyPages is stats().dirtyPages, through allocate, free, seal, commit and reopen', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const seen: [number, number][] = []
      const look = (): void => void seen.push([pager.dirtyPages, pager.stats().dirtyPages])
      look()
      const ids = [1, 2, 3, 4].map((tag) => page(pager, tag))
      look()
      pager.free(ids[3]!)
      look()
      const pending = pager.beginCheckpoint({ rootPageId: ids[0]!, checkpointLsn: 1 })
      look()
      page(pager, 5)
      look()
      await pending.commit()
      look()
      const reopened = await factory.reopen(pager)
      seen.push([reopened.dirtyPages, reopened.stats().dirtyPages])
      expect(seen.filter(([getter, stats]) => getter !== stats)).toEqual([])
      expect([seen[0]![0], seen[1]![0], seen[2]![0], seen.at(-1)![0]]).toEqual([0, 4, 3, 0])
      await reopened.close()
    })
  })
}
