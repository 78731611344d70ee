import { FilePager, MemoryPager } from '@tinydb/pager'
import type { Pager } from '@tinydb/pager'
import { SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { BTree } from '../src/index.js'
import type { TreeCursor, TreeSnapshot } from '../src/index.js'
import { ExpiringPager } from './expiring-pager.js'
import { Random, SortedModel, expectScan, expectSoundTree, hex, testSeed } from './helpers.js'

/**
 * The tree keeps the page-lifetime rule of `Page.body`: it never uses a page that is not writable
 * past the pager's next `read` or `allocate`. `ExpiringPager` destroys every such page at that
 * moment, so any use past it reads 0xee bytes and shows up as a wrong key or value, a CORRUPTION
 * error or an unsound tree. The FilePager rows add the real thing: with a cache of a few pages,
 * nearly every read evicts a page and the next read or allocate reuses its buffer. The workload
 * touches every path that reads pages: gets, copy-on-write, splits, merges and redistributions,
 * overflow chains, cursors stepped between mutations and checkpoints, snapshots with their own
 * cursors, and the stepwise integrity check with other reads between its steps.
 */

const PAGE_SIZE = 512

const pagers: Array<[name: string, open: (seed: number) => Promise<Pager>]> = [
  ['ExpiringPager over MemoryPager', async () => new ExpiringPager(new MemoryPager({ pageSize: PAGE_SIZE }))],
  ['FilePager with a 4-page cache', async (seed) => openFilePager(seed)],
  ['ExpiringPager over FilePager with a 4-page cache', async (seed) => new ExpiringPager(await openFilePager(seed))],
]

function openFilePager(seed: number): Promise<FilePager> {
  return FilePager.open(new SimVfs({ seed }), '/data.tdb', { pageSize: PAGE_SIZE, cacheSize: 4 * PAGE_SIZE, verify: true })
}

interface OpenCursor {
  readonly cursor: TreeCursor
  readonly reverse: boolean
  /** The snapshot's model for a snapshot cursor; undefined for a cursor over the live tree. */
  readonly model: SortedModel | undefined
  last: Uint8Array | undefined
}

interface View {
  readonly snapshot: TreeSnapshot
  readonly model: SortedModel
}

describe.each(pagers)('page lifetime on %s', (name, openPager) => {
  it('the tree never uses a page past the next read or allocate', async () => {
    const seed = testSeed(`kv page lifetime on ${name}`, 9151)
    const random = new Random(seed)
    const pager = await openPager(seed)
    const tree = new BTree(pager, 0)
    const model = new SortedModel()
    const views: View[] = []
    let cursors: OpenCursor[] = []
    let lsn = 0
    let pending: Promise<unknown> | undefined

    const randomKey = (): Uint8Array => random.bytes(1 + random.int(3))
    let deleting = false
    const mutate = (): void => {
      if (deleting && model.entries.size > 0) {
        // Deletes of present keys: underfull pages, so merges and redistributions.
        const keys = [...model.entries.values()]
        const key = keys[random.int(keys.length)]!.key
        expect(tree.del(key)).toBe(model.del(key))
        return
      }
      const key = randomKey()
      if (random.int(5) < 3) {
        // One value in ten spans an overflow chain of up to three pages.
        const value = random.bytes(random.int(10) === 0 ? 400 + random.int(1000) : random.int(60))
        tree.put(key, value)
        model.put(key, value)
      } else {
        expect(tree.del(key)).toBe(model.del(key))
      }
    }
    const stepCursor = (open: OpenCursor): boolean => {
      const entry = open.cursor.next()
      if (entry === undefined) return false
      if (open.last !== undefined) {
        const order = Buffer.compare(entry[0], open.last)
        expect(open.reverse ? order < 0 : order > 0).toBe(true)
      }
      // A live cursor returns each key's value as of the step, a snapshot cursor as of the snapshot.
      expect(hex(entry[1])).toBe(hex((open.model ?? model).get(entry[0])!))
      open.last = entry[0]
      return true
    }

    for (let step = 0; step < 4000; step++) {
      // Phases of growth, then of shrinking: a third of the time most mutations delete.
      deleting = step % 600 >= 400 && random.int(4) !== 0
      const roll = random.int(20)
      if (roll < 9) mutate()
      else if (roll < 12) {
        const key = randomKey()
        const expected = model.get(key)
        expect(tree.get(key) === undefined ? undefined : hex(tree.get(key)!)).toBe(expected === undefined ? undefined : hex(expected))
      } else if (roll < 15) {
        if (cursors.length < 4 && random.int(4) === 0) {
          const view = views.length > 0 && random.int(2) === 0 ? views[random.int(views.length)]! : undefined
          const reverse = random.int(2) === 0
          const cursor = (view?.snapshot ?? tree).cursor({ reverse })
          cursors.push({ cursor, reverse, model: view?.model, last: undefined })
        }
        cursors = cursors.filter((open) => stepCursor(open))
      } else if (roll === 15) {
        if (views.length < 3) views.push({ snapshot: tree.snapshot(), model: model.clone() })
      } else if (roll === 16 && views.length > 0) {
        const view = views.splice(random.int(views.length), 1)[0]!
        cursors = cursors.filter((open) => open.model !== view.model)
        view.snapshot.release()
      } else if (roll === 17 && views.length > 0) {
        // The stepwise check, with reads of the live tree (and so other pages) between its steps.
        const view = views[random.int(views.length)]!
        const walk = view.snapshot.check()
        for (let result = walk.next(); ; result = walk.next()) {
          if (result.done === true) {
            expect(result.value.problems).toEqual([])
            expect(result.value.keyCount).toBe(view.model.entries.size)
            break
          }
          tree.get(randomKey())
        }
        const key = randomKey()
        const expected = view.model.get(key)
        const got = view.snapshot.get(key)
        expect(got === undefined ? undefined : hex(got)).toBe(expected === undefined ? undefined : hex(expected))
      } else if (roll === 18 && pending === undefined) {
        pending = pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: ++lsn }).commit()
      } else if (roll === 19 && pending !== undefined) {
        await pending
        pending = undefined
      }
    }
    await pending
    expectSoundTree(tree, pager)
    expectScan(tree, model)
    for (const view of views) {
      expectScan(view.snapshot, view.model)
      view.snapshot.release()
    }
    if (pager instanceof ExpiringPager) expect(pager.expired).toBeGreaterThan(5_000)
    await pager.close()
  })
})
