import { freeListConformance } from './conformance-free-list.js'
import { runModelWorkload } from './conformance-model.js'
import { retentionConformance } from './conformance-retention.js'
import { asyncCodeOf, codeOf, describeBody, partitionProblems, stamp } from './conformance-support.js'
import type { ConformanceTest, PagerFactory } from './conformance-support.js'
import { FIRST_USER_PAGE_TYPE } from './pager.js'
import type { Page, Pager } from './pager.js'

export type { ConformanceAssertion, ConformanceTest, PagerFactory } from './conformance-support.js'

const USER = FIRST_USER_PAGE_TYPE

/**
 * The contract every Pager must meet, as a test suite any implementation runs with its own factory:
 *
 * ```ts
 * import { describe, it, expect } from 'vitest'
 * import { pagerConformance } from '@tinydb/pager/conformance'
 * pagerConformance({ describe, it, expect }, { name: 'MyPager', create, reopen })
 * ```
 *
 * `create` should configure a small page cache (a few dozen pages) if the pager has one, so that
 * the "many pages" test exercises eviction.
 */
export function pagerConformance(t: ConformanceTest, factory: PagerFactory): void {
  const { describe, it, expect } = t

  /** A page of `type` (default USER) stamped with `tag`. */
  const page = (pager: Pager, tag: number, type = USER): Page => {
    const allocated = pager.allocate(type)
    stamp(allocated.body, tag)
    return allocated
  }
  const bodyOf = (pager: Pager, id: number): string => describeBody(pager.read(id).body)
  /** Pages whose body is not `tag N` as `contents` (page id -> N) expects, at most ten. */
  const contentProblems = (pager: Pager, contents: Iterable<readonly [number, number]>): string[] => {
    const problems: string[] = []
    for (const [id, tag] of contents) {
      const found = bodyOf(pager, id)
      if (found !== `tag ${tag}` && problems.length < 10) problems.push(`page ${id}: expected tag ${tag}, found ${found}`)
    }
    return problems
  }
  const commit = (pager: Pager, rootPageId: number, checkpointLsn: number) => pager.beginCheckpoint({ rootPageId, checkpointLsn }).commit()

  describe(`Pager conformance: ${factory.name}`, () => {
    it('starts empty: checkpoint 0, no root, only the two meta pages', async () => {
      const pager = await factory.create({ pageSize: 4096 })
      expect(pager.meta).toEqual({ checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: 2 })
      expect(pager.accounting()).toEqual({ pageCount: 2, internal: [0, 1], free: [], pendingFree: [], retained: [] })
      await pager.close()
    })

    it('uses the requested page size, with bodySize bytes of body per page', async () => {
      for (const pageSize of [512, 4096, 65536]) {
        const pager = await factory.create({ pageSize })
        expect(pager.pageSize).toBe(pageSize)
        expect(pager.bodySize > 0 && pager.bodySize <= pageSize).toBe(true)
        const id = page(pager, 7).id
        expect(pager.read(id).body.length).toBe(pager.bodySize)
        await commit(pager, id, 1)
        const reopened = await factory.reopen(pager)
        expect([reopened.pageSize, bodyOf(reopened, id)]).toEqual([pageSize, 'tag 7'])
        await reopened.close()
      }
    })

    it('allocate returns zero-filled writable pages with distinct ids >= 2 and the given type', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const pages = [USER, 100, 255].map((type) => pager.allocate(type))
      expect(pages.map((p) => p.type)).toEqual([USER, 100, 255])
      expect(new Set(pages.map((p) => p.id)).size).toBe(3)
      for (const p of pages) {
        expect(p.id >= 2 && Number.isInteger(p.id)).toBe(true)
        expect(describeBody(p.body)).toBe('zeros')
        expect(pager.isWritable(p.id)).toBe(true)
        expect(pager.read(p.id).type).toBe(p.type)
      }
      await pager.close()
    })

    it('allocate refuses page types outside [16, 255] (0–15 belong to the pager)', async () => {
      const pager = await factory.create({ pageSize: 512 })
      for (const type of [0, 1, 2, 15, 256, -1, 16.5]) expect(`type ${type}: ${codeOf(() => pager.allocate(type))}`).toBe(`type ${type}: INVALID_ARGUMENT`)
      await pager.close()
    })

    it('read returns what was written, before and after a checkpoint and after reopening', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 11, 20).id
      const b = page(pager, 12, 21).id
      expect([bodyOf(pager, a), bodyOf(pager, b)]).toEqual(['tag 11', 'tag 12'])
      await commit(pager, a, 5)
      expect([bodyOf(pager, a), bodyOf(pager, b), pager.read(b).type]).toEqual(['tag 11', 'tag 12', 21])
      const reopened = await factory.reopen(pager)
      expect([bodyOf(reopened, a), bodyOf(reopened, b), reopened.read(a).type, reopened.read(b).type]).toEqual(['tag 11', 'tag 12', 20, 21])
      await reopened.close()
    })

    it('read refuses ids outside [2, pageCount) and pages that are free', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const kept = page(pager, 1).id
      const dropped = page(pager, 2).id
      pager.free(dropped)
      const { pageCount } = pager.accounting()
      for (const id of [0, 1, pageCount, pageCount + 10, -1, 2.5, Number.NaN, dropped]) {
        expect(`read(${id}): ${codeOf(() => pager.read(id))}`).toBe(`read(${id}): INVALID_ARGUMENT`)
      }
      await commit(pager, kept, 1)
      const reopened = await factory.reopen(pager)
      for (const id of reopened.accounting().free) expect(`read(${id}): ${codeOf(() => reopened.read(id))}`).toBe(`read(${id}): INVALID_ARGUMENT`)
      await reopened.close()
    })

    it('reuses a page freed while writable at once, zero-filled', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const first = [1, 2, 3].map((tag) => page(pager, tag).id)
      const { pageCount } = pager.accounting()
      for (const id of first) pager.free(id)
      expect(pager.accounting().free).toEqual([...first].sort((x, y) => x - y))
      const again = [0, 1, 2].map(() => pager.allocate(USER + 1))
      expect(again.map((p) => p.id).sort((x, y) => x - y)).toEqual([...first].sort((x, y) => x - y))
      expect(again.map((p) => [describeBody(p.body), p.type])).toEqual([0, 1, 2].map(() => ['zeros', USER + 1]))
      expect(pager.accounting().pageCount).toBe(pageCount)
      await pager.close()
    })

    it('does not reuse a page freed after a seal until a checkpoint sealed after the free is durable', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 1).id
      const b = page(pager, 2).id
      await commit(pager, a, 1)
      pager.free(b)
      expect(pager.isWritable(b)).toBe(false)
      expect(pager.accounting().pendingFree).toEqual([b])
      const before: number[] = []
      for (let i = 0; i < 5; i++) before.push(page(pager, 10 + i).id)
      const first = pager.beginCheckpoint({ rootPageId: a, checkpointLsn: 2 })
      // Sealed but not durable: the durable checkpoint still references b.
      for (let i = 0; i < 5; i++) before.push(page(pager, 20 + i).id)
      pager.free(a) // freed after the seal: the sealed checkpoint references it
      expect(before.includes(b)).toBe(false)
      await first.commit()
      expect([pager.accounting().free.includes(b), pager.accounting().pendingFree]).toEqual([true, [a]])
      const after = pager.accounting().free.map(() => pager.allocate(USER).id)
      expect([after.includes(b), after.includes(a)]).toEqual([true, false])
      // a becomes reusable only with the next checkpoint.
      await commit(pager, before[0]!, 3)
      expect(pager.accounting().free.includes(a)).toBe(true)
      const reused = pager.accounting().free.map(() => pager.allocate(USER).id)
      expect(reused.includes(a)).toBe(true)
      await pager.close()
    })

    it('a page freed after a seal reads the same until it becomes reusable, then not at all', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const contents = new Map<number, number>()
      for (let tag = 1; tag <= 100; tag++) contents.set(page(pager, tag).id, tag)
      const root = page(pager, 1000).id
      await commit(pager, root, 1)
      for (const id of contents.keys()) pager.free(id)
      expect(contentProblems(pager, contents)).toEqual([])
      await commit(pager, root, 2)
      const unreadable = [...contents.keys()].filter((id) => codeOf(() => pager.read(id)) !== 'INVALID_ARGUMENT')
      expect(unreadable).toEqual([])
      await pager.close()
    })

    it('isWritable is true from allocate until the next seal, and never for a reopened page', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 1).id
      expect(pager.isWritable(a)).toBe(true)
      const pending = pager.beginCheckpoint({ rootPageId: a, checkpointLsn: 1 })
      expect(pager.isWritable(a)).toBe(false)
      const b = page(pager, 2).id
      expect(pager.isWritable(b)).toBe(true)
      await pending.commit()
      expect([pager.isWritable(a), pager.isWritable(b)]).toEqual([false, true])
      await commit(pager, b, 2)
      const reopened = await factory.reopen(pager)
      expect([reopened.isWritable(a), reopened.isWritable(b)]).toEqual([false, false])
      await reopened.close()
    })

    it('work done after the seal does not leak into the sealed checkpoint', async () => {
      for (const startCommitFirst of [true, false]) {
        const pager = await factory.create({ pageSize: 512 })
        const root = page(pager, 1).id
        const leaf = page(pager, 2).id
        await commit(pager, root, 1)
        const child = page(pager, 3).id
        const pending = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 2 })
        const committing = startCommitFirst ? pending.commit() : undefined
        // Copy-on-write the root, drop the leaf, add pages: all after the seal.
        const newRoot = page(pager, 4).id
        pager.free(root)
        pager.free(leaf)
        pager.free(child)
        const extra = page(pager, 5).id
        const meta = await (committing ?? pending.commit())
        expect([bodyOf(pager, newRoot), bodyOf(pager, extra)]).toEqual(['tag 4', 'tag 5'])
        const reopened = await factory.reopen(pager)
        expect(reopened.meta).toEqual(meta)
        expect([reopened.meta.rootPageId, bodyOf(reopened, root), bodyOf(reopened, leaf), bodyOf(reopened, child)]).toEqual([root, 'tag 1', 'tag 2', 'tag 3'])
        expect(partitionProblems(reopened, [root, leaf, child])).toEqual([])
        await reopened.close()
      }
    })

    it('meta changes only when a commit resolves, and records the target', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const root = page(pager, 1).id
      const pending = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 42 })
      const { pageCount } = pager.accounting()
      page(pager, 2) // after the seal: not part of the checkpoint
      expect(pager.meta.checkpointId).toBe(0)
      const meta = await pending.commit()
      expect(meta).toEqual({ checkpointId: 1, checkpointLsn: 42, rootPageId: root, pageCount })
      expect(pager.meta).toEqual(meta)
      const second = await commit(pager, 0, 43)
      expect([second.checkpointId, second.rootPageId, second.checkpointLsn]).toEqual([2, 0, 43])
      const empty = await commit(pager, 0, 43)
      expect(empty.checkpointId).toBe(3)
      const reopened = await factory.reopen(pager)
      expect(reopened.meta).toEqual(empty)
      await reopened.close()
    })

    it('seals while a checkpoint is pending: they commit in seal order, or the pending one is folded into the new one', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const first = page(pager, 1).id
      const pendingFirst = pager.beginCheckpoint({ rootPageId: first, checkpointLsn: 1 })
      const committingFirst = pendingFirst.commit()
      const second = page(pager, 2).id
      const pendingSecond = pager.beginCheckpoint({ rootPageId: second, checkpointLsn: 2 })
      expect([1, pendingFirst.checkpointId + 1].includes(pendingSecond.checkpointId)).toBe(true)
      const third = page(pager, 3).id
      const pendingThird = pager.beginCheckpoint({ rootPageId: third, checkpointLsn: 3 })
      const last = await pendingThird.commit()
      expect([last.checkpointLsn, last.rootPageId, pager.meta]).toEqual([3, third, last])
      // Earlier commits resolved with their own checkpoint, or with the one they were folded into.
      for (const meta of [await committingFirst, await pendingSecond.commit()]) expect([1, 2, 3].includes(meta.checkpointLsn)).toBe(true)
      expect((await pendingSecond.commit()).checkpointId).toBe(pendingSecond.checkpointId === pendingThird.checkpointId ? last.checkpointId : pendingSecond.checkpointId)
      const reopened = await factory.reopen(pager)
      expect([reopened.meta, bodyOf(reopened, first), bodyOf(reopened, second), bodyOf(reopened, third)]).toEqual([last, 'tag 1', 'tag 2', 'tag 3'])
      expect(partitionProblems(reopened, [first, second, third])).toEqual([])
      await reopened.close()
    })

    it('a page freed after a seal stays unused until a checkpoint sealed after the free is durable, however many are queued', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const root = page(pager, 1).id
      const old = page(pager, 2).id
      await commit(pager, root, 1)
      const queued = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 2 })
      const committing = queued.commit()
      pager.free(old)
      const next = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 3 })
      const handedOut: number[] = []
      for (let i = 0; i < 20; i++) handedOut.push(page(pager, 10 + i).id)
      expect(handedOut.includes(old)).toBe(false)
      await committing
      await next.commit()
      expect(pager.accounting().free.includes(old)).toBe(true)
      await pager.close()
    })

    it('beginCheckpoint refuses a root that is not a live page, and a bad LSN', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const live = page(pager, 1).id
      const dropped = page(pager, 2).id
      pager.free(dropped)
      for (const rootPageId of [1, dropped, 999, -1, 2.5]) {
        expect(`root ${rootPageId}: ${codeOf(() => pager.beginCheckpoint({ rootPageId, checkpointLsn: 1 }))}`).toBe(`root ${rootPageId}: INVALID_ARGUMENT`)
      }
      for (const checkpointLsn of [-1, 1.5, Number.NaN]) {
        expect(`lsn ${checkpointLsn}: ${codeOf(() => pager.beginCheckpoint({ rootPageId: live, checkpointLsn }))}`).toBe(`lsn ${checkpointLsn}: INVALID_ARGUMENT`)
      }
      expect((await commit(pager, live, 1)).rootPageId).toBe(live)
      await pager.close()
    })

    it('free refuses meta pages, ids out of range and pages already freed', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const old = page(pager, 2).id
      await commit(pager, old, 1)
      const young = page(pager, 1).id
      pager.free(young)
      pager.free(old)
      const { pageCount } = pager.accounting()
      for (const id of [0, 1, pageCount, -3, 2.5, young, old]) expect(`free(${id}): ${codeOf(() => pager.free(id))}`).toBe(`free(${id}): INVALID_ARGUMENT`)
      expect(partitionProblems(pager, [])).toEqual([])
      await pager.close()
    })

    it('accounting partitions the pages exactly, through seal, commit and reopen', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const ids: number[] = []
      for (let i = 0; i < 600; i++) ids.push(page(pager, i + 1).id)
      expect(partitionProblems(pager, ids)).toEqual([])
      await commit(pager, ids[0]!, 1)
      expect(partitionProblems(pager, ids)).toEqual([])
      // Free most of them: the free list needs several pages of its own in a file.
      const kept = ids.filter((_, i) => i % 6 === 0)
      for (const id of ids) if (!kept.includes(id)) pager.free(id)
      expect(partitionProblems(pager, kept)).toEqual([])
      const pending = pager.beginCheckpoint({ rootPageId: kept[0]!, checkpointLsn: 2 })
      expect(partitionProblems(pager, kept)).toEqual([])
      const during = page(pager, 9999).id
      pager.free(kept[1]!)
      const live = [...kept.filter((id) => id !== kept[1]), during]
      expect(partitionProblems(pager, live)).toEqual([])
      await pending.commit()
      expect(partitionProblems(pager, live)).toEqual([])
      await commit(pager, kept[0]!, 3)
      expect(partitionProblems(pager, live)).toEqual([])
      const reopened = await factory.reopen(pager)
      expect(partitionProblems(reopened, live)).toEqual([])
      expect(reopened.accounting().pendingFree).toEqual([])
      await reopened.close()
    })

    it('reopens at the last committed checkpoint after several, and keeps working', async () => {
      let pager = await factory.create({ pageSize: 512 })
      const contents = new Map<number, number>() // page id -> tag
      let tag = 1
      for (let checkpoint = 1; checkpoint <= 5; checkpoint++) {
        for (const [id] of [...contents].filter((_, i) => i % 3 === checkpoint % 3)) {
          pager.free(id)
          contents.delete(id)
          const copy = page(pager, tag++).id
          contents.set(copy, tag - 1)
        }
        for (let i = 0; i < 20; i++) contents.set(page(pager, tag++).id, tag - 1)
        await commit(pager, [...contents.keys()][0]!, checkpoint * 10)
      }
      const meta = pager.meta
      for (let round = 0; round < 2; round++) {
        pager = await factory.reopen(pager)
        expect(pager.meta).toEqual(meta)
        expect(contentProblems(pager, contents)).toEqual([])
        expect(partitionProblems(pager, contents.keys())).toEqual([])
      }
      const more = page(pager, tag++).id
      contents.set(more, tag - 1)
      const last = await commit(pager, more, 99)
      pager = await factory.reopen(pager)
      expect([pager.meta, bodyOf(pager, more)]).toEqual([last, `tag ${tag - 1}`])
      await pager.close()
    })

    it('loses work that was not committed, including a sealed checkpoint never committed', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const a = page(pager, 1).id
      const b = page(pager, 2).id
      const meta = await commit(pager, a, 1)
      pager.free(b)
      const c = page(pager, 3).id
      const sealed = pager.beginCheckpoint({ rootPageId: c, checkpointLsn: 2 })
      page(pager, 4)
      void sealed // never committed
      const reopened = await factory.reopen(pager)
      expect(reopened.meta).toEqual(meta)
      expect(reopened.accounting().pageCount).toBe(meta.pageCount)
      expect([bodyOf(reopened, a), bodyOf(reopened, b)]).toEqual(['tag 1', 'tag 2'])
      expect(partitionProblems(reopened, [a, b])).toEqual([])
      await reopened.close()
    })

    it('reads sealed pages while their checkpoint commits', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const ids = [1, 2, 3, 4].map((tag) => page(pager, tag).id)
      const committing = pager.beginCheckpoint({ rootPageId: ids[0]!, checkpointLsn: 1 }).commit()
      expect(ids.map((id) => bodyOf(pager, id))).toEqual(['tag 1', 'tag 2', 'tag 3', 'tag 4'])
      await committing
      expect(ids.map((id) => bodyOf(pager, id))).toEqual(['tag 1', 'tag 2', 'tag 3', 'tag 4'])
      await pager.close()
    })

    it('round-trips many pages (more than a small cache holds)', async () => {
      let pager = await factory.create({ pageSize: 512 })
      const contents = new Map<number, number>()
      for (let i = 1; i <= 3000; i++) contents.set(page(pager, i).id, i)
      await commit(pager, [...contents.keys()][0]!, 1)
      pager = await factory.reopen(pager)
      const ids = [...contents.keys()]
      for (const order of [ids, [...ids].reverse()]) {
        expect(contentProblems(pager, order.map((id) => [id, contents.get(id)!] as const))).toEqual([])
      }
      // Copy-on-write every other page, then check again after another reopen.
      let tag = 10_000
      for (const id of ids.filter((_, i) => i % 2 === 0)) {
        pager.free(id)
        contents.delete(id)
        contents.set(page(pager, tag).id, tag++)
      }
      await commit(pager, [...contents.keys()][0]!, 2)
      pager = await factory.reopen(pager)
      expect(contentProblems(pager, contents)).toEqual([])
      expect(partitionProblems(pager, contents.keys())).toEqual([])
      await pager.close()
    })

    it('commit({ incremental: true }) commits what commit() would, also when a seal folds into it', async () => {
      let pager = await factory.create({ pageSize: 512 })
      const contents = new Map<number, number>()
      for (let i = 1; i <= 1000; i++) contents.set(page(pager, i).id, i)
      const root = [...contents.keys()][0]!
      const first = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 1 })
      const firstDurable = first.commit({ incremental: true })
      for (let i = 1001; i <= 1100; i++) contents.set(page(pager, i).id, i)
      const second = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 2 })
      const [a, b] = await Promise.all([firstDurable, second.commit({ incremental: true })])
      expect(b.checkpointLsn).toBe(2)
      if (second.checkpointId === first.checkpointId) expect(a).toEqual(b) // folded
      pager = await factory.reopen(pager)
      expect(pager.meta).toEqual(b)
      expect(contentProblems(pager, contents)).toEqual([])
      expect(partitionProblems(pager, contents.keys())).toEqual([])
      await pager.close()
    })

    it('refuses work with CLOSED once closed', async () => {
      const pager = await factory.create({ pageSize: 512 })
      const id = page(pager, 1).id
      const sealed = pager.beginCheckpoint({ rootPageId: id, checkpointLsn: 1 })
      await pager.close()
      expect(codeOf(() => pager.read(id))).toBe('CLOSED')
      expect(codeOf(() => pager.allocate(USER))).toBe('CLOSED')
      expect(codeOf(() => pager.free(id))).toBe('CLOSED')
      expect(codeOf(() => pager.beginCheckpoint({ rootPageId: 0, checkpointLsn: 2 }))).toBe('CLOSED')
      expect(await asyncCodeOf(() => sealed.commit())).toBe('CLOSED')
      await pager.close() // closing twice is harmless
    })

    for (const seed of [1, 2, 3]) {
      it(`matches a model under a random workload (seed ${seed})`, async () => {
        await runModelWorkload(t, factory, seed, 1500)
      })
    }
  })
  retentionConformance(t, factory)
  freeListConformance(t, factory)
}
