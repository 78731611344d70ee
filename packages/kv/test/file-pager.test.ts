import { FilePager } from '@tinydb/pager'
import { SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { BTree } from '../src/index.js'
import { Random, SortedModel, expectScan, expectSoundTree, hex, testSeed } from './helpers.js'

/**
 * The tree on the real file pager (over the simulated disk), with a cache of only a few clean pages
 * so that pages are evicted and re-read all the time, and the pager's verification on: it
 * re-checks the checksum of a cached clean page on every read, so a tree that wrote into a
 * read-only page would be caught. Crashes drop everything after the last checkpoint.
 */
describe('BTree on FilePager', () => {
  it('survives eviction, checkpoints, crashes and reopen, and its cursors stay stable', async () => {
    const seed = testSeed('kv on FilePager', 77)
    const random = new Random(seed)
    const vfs = new SimVfs({ seed })
    const path = '/data.tdb'
    const open = async (): Promise<FilePager> => FilePager.open(vfs, path, { pageSize: 512, cacheSize: 8 * 512, verify: true })
    let pager = await open()
    let tree = new BTree(pager, pager.meta.rootPageId, { file: path })
    let model = new SortedModel()
    let durable = new SortedModel()
    let lsn = 0

    const mutate = (): void => {
      const key = random.bytes(random.int(4))
      if (random.int(5) < 3) {
        const value = random.bytes(random.int(15) === 0 ? 1200 : random.int(40))
        tree.put(key, value)
        model.put(key, value)
      } else {
        tree.del(key)
        model.del(key)
      }
    }

    for (let round = 0; round < 12; round++) {
      // A scan that yields to writes at every step.
      const cursor = tree.cursor({ reverse: round % 2 === 1 })
      let last: Uint8Array | undefined
      for (let step = 0; step < 300; step++) {
        mutate()
        const entry = cursor.next()
        if (entry === undefined) break
        if (last !== undefined) {
          const order = Buffer.compare(entry[0], last)
          expect(round % 2 === 1 ? order < 0 : order > 0).toBe(true)
        }
        expect(hex(entry[1])).toBe(hex(model.get(entry[0])!))
        last = entry[0]
      }
      for (let i = 0; i < 200; i++) mutate()
      const sealed = model.clone()
      const pending = pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: ++lsn })
      for (let i = 0; i < 30; i++) mutate()
      await pending.commit()
      durable = sealed
      expectSoundTree(tree, pager)
      expectScan(tree, model)

      if (round % 3 === 2) {
        vfs.crash()
        pager = await open()
        expect(pager.meta.checkpointLsn).toBe(lsn)
        tree = new BTree(pager, pager.meta.rootPageId, { file: path })
        model = durable.clone()
        expectScan(tree, model)
        expectSoundTree(tree, pager)
      }
    }
    expect(tree.stats().depth).toBeGreaterThanOrEqual(3)
    await pager.close()
  })
})
