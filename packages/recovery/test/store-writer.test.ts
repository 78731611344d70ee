import { describe, expect, it } from 'vitest'
import { FilePager } from '@tinydb/pager'
import { SimVfs } from '@tinydb/vfs'
import { Wal } from '@tinydb/wal'
import { checkIntegrity, recover, storeLayout, writeDataFile } from '../src/index.js'

/**
 * writeDataFile builds a store's page file from sorted entries: with an empty log beside it (a
 * backup) or beside the log it was checkpointed from (a compaction), recovery opens it to exactly
 * the entries, and the integrity check is clean.
 */

const encoder = new TextEncoder()
const layout = storeLayout('/db')

function entries(n: number): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = []
  for (let i = 0; i < n; i++) {
    out.push([encoder.encode(`key-${String(i).padStart(6, '0')}`), encoder.encode(`value ${i} `.repeat(i % 50 === 0 ? 300 : 2))])
  }
  return out
}

async function* slowly<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const item of items) {
    await Promise.resolve()
    yield item
  }
}

async function openStore(vfs: SimVfs) {
  const pager = await FilePager.open(vfs, layout.dataPath)
  const wal = await Wal.open(vfs, layout.walDir)
  const { tree, report } = await recover({ pager, wal, dataPath: layout.dataPath, walDir: layout.walDir, created: false })
  return { pager, wal, tree, report }
}

describe('writeDataFile', () => {
  it('writes a durable store file that recovery opens to exactly the entries, beside an empty log', async () => {
    const vfs = new SimVfs({ seed: 7 })
    await vfs.mkdir(layout.dir)
    await vfs.syncDir('/')
    const input = entries(2000)
    let progress = 0
    // A small flush threshold: the finished pages go out in many intermediate checkpoints.
    const written = await writeDataFile(vfs, layout.dataPath, slowly(input), {
      pageSize: 512,
      checkpointLsn: 0,
      flushBytes: 8 * 512,
      onEntry: (count) => (progress = count),
    })
    expect(written).toMatchObject({ entries: 2000, pageSize: 512 })
    expect(progress).toBe(2000)
    vfs.crash() // everything writeDataFile promised is durable
    const store = await openStore(vfs)
    expect(store.pager.meta).toMatchObject({ checkpointLsn: 0, rootPageId: written.rootPageId, pageCount: written.pageCount })
    expect(store.pager.accounting().free).toEqual([])
    const report = await checkIntegrity({ ...store, dataPath: layout.dataPath, walDir: layout.walDir })
    expect(report.problems).toEqual([])
    expect(report.keys).toBe(2000)
    const cursor = store.tree.cursor()
    for (const [key, value] of input) expect(cursor.next()).toEqual([key, value])
    expect(cursor.next()).toBeUndefined()
    // The store takes writes from LSN 1 on.
    expect(store.wal.nextLsn).toBe(1)
    await store.wal.close()
    await store.pager.close()
  })

  it('replaces a leftover file at the path and writes an empty tree for no entries', async () => {
    const vfs = new SimVfs({ seed: 8 })
    await vfs.mkdir(layout.dir)
    await vfs.syncDir('/')
    await writeDataFile(vfs, layout.dataPath, entries(300), { pageSize: 4096, checkpointLsn: 0 })
    const written = await writeDataFile(vfs, layout.dataPath, [], { pageSize: 1024, checkpointLsn: 0 })
    expect(written).toEqual({ entries: 0, rootPageId: 0, pageCount: 2, pageSize: 1024 })
    const store = await openStore(vfs)
    expect(store.pager.pageSize).toBe(1024)
    expect(store.tree.cursor().next()).toBeUndefined()
    await store.wal.close()
    await store.pager.close()
  })

  it('refuses unsorted entries with INVALID_ARGUMENT', async () => {
    const vfs = new SimVfs({ seed: 9 })
    await vfs.mkdir(layout.dir)
    await vfs.syncDir('/')
    const input = entries(3).reverse()
    await expect(writeDataFile(vfs, layout.dataPath, input, { pageSize: 512, checkpointLsn: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(writeDataFile(vfs, layout.dataPath, [], { pageSize: 512, checkpointLsn: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
