import { FilePager, MemoryPager } from '@tinydb/pager'
import type { Pager } from '@tinydb/pager'
import { SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { BTree } from '../src/index.js'
import type { TreeSnapshot } from '../src/index.js'
import { Random, SortedModel, bytes, expectScan, expectSoundTree, hex, testSeed } from './helpers.js'

interface View {
  readonly snapshot: TreeSnapshot
  readonly model: SortedModel
}

const pagers: Array<[name: string, open: (seed: number) => Promise<Pager>]> = [
  ['MemoryPager', async () => new MemoryPager({ pageSize: 512 })],
  // A cache of a few clean pages, so retained pages are evicted and read back from the file.
  ['FilePager', async (seed) => FilePager.open(new SimVfs({ seed }), '/data.tdb', { pageSize: 512, cacheSize: 8 * 512, verify: true })],
]

describe.each(pagers)('BTree snapshots on %s', (name, openPager) => {
  it('each snapshot keeps reading the tree as it was, through mutations, checkpoints and releases', async () => {
    const seed = testSeed(`kv snapshots on ${name}`, 4242)
    const random = new Random(seed)
    const pager = await openPager(seed)
    const tree = new BTree(pager, 0)
    const model = new SortedModel()
    let views: View[] = []
    let lsn = 0
    let pending: Promise<unknown> | undefined

    const mutate = (): void => {
      const key = random.bytes(1 + random.int(3))
      if (random.int(5) < 3) {
        const value = random.bytes(random.int(12) === 0 ? 900 + random.int(1500) : random.int(60))
        tree.put(key, value)
        model.put(key, value)
      } else {
        tree.del(key)
        model.del(key)
      }
    }
    const verify = (view: View): void => {
      for (let i = 0; i < 20; i++) {
        const key = random.bytes(1 + random.int(3))
        const found = view.snapshot.get(key)
        const expected = view.model.get(key)
        expect(found === undefined ? 'absent' : hex(found)).toBe(expected === undefined ? 'absent' : hex(expected))
      }
      expectScan(view.snapshot, view.model, random.int(2) === 0 ? {} : { gte: random.bytes(1), reverse: random.int(2) === 0 })
    }

    for (let step = 0; step < 3000; step++) {
      const roll = random.next()
      if (roll < 0.8) mutate()
      else if (roll < 0.84) views.push({ snapshot: tree.snapshot(), model: model.clone() })
      else if (roll < 0.88 && views.length > 0) views.splice(random.int(views.length), 1)[0]!.snapshot.release()
      else if (roll < 0.92 && views.length > 0) verify(views[random.int(views.length)]!)
      else if (roll < 0.96) {
        if (pending === undefined) {
          const sealed = pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: ++lsn })
          pending = sealed.commit()
        } else {
          await pending
          pending = undefined
        }
      } else {
        expectSoundTree(tree, pager)
      }
    }
    await pending
    for (const view of views) verify(view)
    expect(pager.stats().liveRetentions).toBe(views.length)
    for (const view of views) view.snapshot.release()
    views = []
    expect([pager.stats().liveRetentions, pager.stats().retainedPages]).toEqual([0, 0])
    expectSoundTree(tree, pager)
    expectScan(tree, model)
    await pager.close()
  })

  it('a cursor over a snapshot steps through one state while the tree is rewritten under it', async () => {
    const pager = await openPager(7)
    const tree = new BTree(pager, 0)
    const model = new SortedModel()
    for (let i = 0; i < 400; i++) {
      const key = bytes(`key-${String(i).padStart(4, '0')}`)
      tree.put(key, bytes(`v${i}`))
      model.put(key, bytes(`v${i}`))
    }
    const snapshot = tree.snapshot()
    const cursor = snapshot.cursor()
    const seen: string[] = []
    for (let entry = cursor.next(), i = 0; entry !== undefined; entry = cursor.next(), i++) {
      seen.push(`${new TextDecoder().decode(entry[0])}=${new TextDecoder().decode(entry[1])}`)
      // Delete everything ahead, rewrite what is behind: the cursor must not notice.
      tree.del(bytes(`key-${String(399 - i).padStart(4, '0')}`))
      tree.put(bytes(`key-${String(i).padStart(4, '0')}`), bytes('changed'))
      if (i % 50 === 0) await pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: i + 1 }).commit()
    }
    expect(seen).toEqual(model.sorted().map(({ key, value }) => `${new TextDecoder().decode(key)}=${new TextDecoder().decode(value)}`))
    snapshot.release()
    expectSoundTree(tree, pager)
    await pager.close()
  })

  it('refuses reads after release (CLOSED), including from a cursor opened before it', async () => {
    const pager = await openPager(8)
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 50; i++) tree.put(bytes(`k${i}`), bytes('v'))
    const snapshot = tree.snapshot()
    const cursor = snapshot.cursor()
    expect(cursor.next()).toBeDefined()
    snapshot.release()
    snapshot.release()
    for (const read of [() => snapshot.get(bytes('k1')), () => snapshot.cursor(), () => cursor.next(), () => snapshot.has(bytes('k1'))]) {
      expect(() => read()).toThrowError(expect.objectContaining({ code: 'CLOSED' }))
    }
    expect(() => tree.snapshot().get('k' as unknown as Uint8Array)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    await pager.close()
  })
})
