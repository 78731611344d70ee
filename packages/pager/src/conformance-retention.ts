import { codeOf, describeBody, partitionProblems, stamp } from './conformance-support.js'
import type { ConformanceTest, PagerFactory } from './conformance-support.js'
import { FIRST_USER_PAGE_TYPE } from './pager.js'
import type { Pager } from './pager.js'

const USER = FIRST_USER_PAGE_TYPE

/** The `retain()` part of the contract: frozen pages, freed pages kept readable and unused, release. */
export function retentionConformance(t: ConformanceTest, factory: PagerFactory): void {
  const { describe, it, expect } = t
  const page = (pager: Pager, tag: number): number => {
    const allocated = pager.allocate(USER)
    stamp(allocated.body, tag)
    return allocated.id
  }
  const bodyOf = (pager: Pager, id: number): string => describeBody(pager.read(id).body)
  const commit = (pager: Pager, rootPageId: number, checkpointLsn: number) => pager.beginCheckpoint({ rootPageId, checkpointLsn }).commit()
  /** Allocates every free page (and a few more), returning the ids handed out. */
  const drainFree = (pager: Pager): number[] => [...pager.accounting().free, 0, 0].map(() => page(pager, 999))

  describe(`Pager conformance: ${factory.name}: retain`, () => {
    it('freezes every page allocated before it; later pages stay writable; the last release thaws them', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 1)
      const first = pager.retain()
      const b = page(pager, 2)
      expect([pager.isWritable(a), pager.isWritable(b)]).toEqual([false, true])
      const second = pager.retain()
      expect([pager.isWritable(a), pager.isWritable(b)]).toEqual([false, false])
      second.release()
      // Only `first` is live, and it was taken before b existed: b may be modified again.
      expect([pager.isWritable(a), pager.isWritable(b)]).toEqual([false, true])
      first.release()
      expect([pager.isWritable(a), pager.isWritable(b)]).toEqual([true, true])
      expect(pager.stats().liveRetentions).toBe(0)
      await pager.close()
    })

    it('keeps a frozen page that was never checkpointed readable after it is freed, and unused until the release', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 1)
      const retention = pager.retain()
      pager.free(a)
      expect(bodyOf(pager, a)).toBe('tag 1')
      expect([retention.retainedPages, pager.stats().retainedPages, pager.accounting().retained]).toEqual([1, 1, [a]])
      expect(codeOf(() => pager.free(a))).toBe('INVALID_ARGUMENT')
      const root = page(pager, 2)
      await commit(pager, root, 1)
      expect(drainFree(pager).includes(a)).toBe(false)
      expect(bodyOf(pager, a)).toBe('tag 1')
      retention.release()
      retention.release() // idempotent
      expect(pager.accounting().retained).toEqual([])
      expect(drainFree(pager).includes(a)).toBe(true)
      await pager.close()
    })

    it('keeps a checkpointed page freed under a retention unused past the checkpoint that would release it', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 1)
      const root = page(pager, 2)
      await commit(pager, root, 1)
      const retention = pager.retain()
      pager.free(a)
      expect(pager.accounting().pendingFree).toEqual([a])
      await commit(pager, root, 2)
      await commit(pager, root, 3)
      expect([pager.accounting().pendingFree, pager.accounting().retained]).toEqual([[], [a]])
      expect(partitionProblems(pager, [root])).toEqual([])
      expect(drainFree(pager).includes(a)).toBe(false)
      expect(bodyOf(pager, a)).toBe('tag 1')
      retention.release()
      expect(drainFree(pager).includes(a)).toBe(true)
      await pager.close()
    })

    it('a page is reused only once every retention that may read it is released, in either order', async () => {
      for (const order of ['newest first', 'oldest first'] as const) {
        const pager = await factory.create({ pageSize: 512 })
        const a = page(pager, 1)
        const b = page(pager, 2)
        const older = pager.retain()
        const newer = pager.retain()
        pager.free(a)
        pager.free(b)
        const [firstOut, lastOut] = order === 'newest first' ? [newer, older] : [older, newer]
        firstOut.release()
        expect([order, bodyOf(pager, a), drainFree(pager).some((id) => id === a || id === b)]).toEqual([order, 'tag 1', false])
        lastOut.release()
        expect([order, drainFree(pager).filter((id) => id === a || id === b).sort()]).toEqual([order, [a, b].sort()])
        await pager.close()
      }
    })

    it('records retained pages as free on disk: after a reopen they are free, none leaked', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const kept = [page(pager, 1), page(pager, 2)]
      const root = page(pager, 3)
      await commit(pager, root, 1)
      const fresh = page(pager, 4)
      pager.retain()
      for (const id of [...kept, fresh]) pager.free(id)
      await commit(pager, root, 2)
      await commit(pager, root, 3)
      expect(pager.accounting().retained).toEqual([...kept, fresh].sort((x, y) => x - y))
      const reopened = await factory.reopen(pager)
      expect(reopened.stats().liveRetentions).toBe(0)
      expect(partitionProblems(reopened, [root])).toEqual([])
      expect([...kept, fresh].every((id) => reopened.accounting().free.includes(id))).toBe(true)
      await reopened.close()
    })

    it('refuses retain on a closed pager; a release after close is harmless', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const retention = pager.retain()
      await pager.close()
      expect(codeOf(() => pager.retain())).toBe('CLOSED')
      retention.release()
    })
  })
}
