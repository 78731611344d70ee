import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { inspectTreePage } from '@tinydb/kv'
import { inspectMeta, readRawPage } from '@tinydb/pager'
import { NodeVfs, TinyDbError } from '@tinydb/vfs'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeMeta } from '../../pager/src/meta-format.js'
import { compact, open } from '../src/index.js'

/**
 * A store whose data file an older TinyDB made keeps working, in that format — version 1 (every
 * page CRC-32C) or 2 (CRC-32, and tree pages without key heads) — and `compact` rewrites it in the
 * current one (3: tree pages with key heads).
 */

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

const PAGE_SIZE = 4096
const key = (i: number): string => `key${String(i).padStart(5, '0')}`

/** An empty store as format `version` creates it: both metas recording checkpoint 0, and no log yet. */
async function storeInVersion(version: number): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'tinydb-format-')), 'db')
  dirs.push(dirname(dir))
  await mkdir(dir)
  const image = new Uint8Array(2 * PAGE_SIZE)
  const meta = { checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: 2, freeListPageId: 0, freePageCount: 0 }
  encodeMeta(image.subarray(0, PAGE_SIZE), 0, meta, version)
  encodeMeta(image.subarray(PAGE_SIZE), 1, meta, version)
  await writeFile(join(dir, 'data.tdb'), image)
  return dir
}

/** Whether the root page of the store's live tree has key heads. */
async function rootHasKeyHeads(vfs: NodeVfs, dir: string): Promise<boolean> {
  const path = join(dir, 'data.tdb')
  const meta = await inspectMeta(vfs, path)
  const rootPageId = meta.slots[meta.live!].meta!.rootPageId
  const page = await readRawPage(vfs, path, rootPageId, PAGE_SIZE, meta.formatVersion!)
  const tree = inspectTreePage(page.type, page.body)
  return tree.kind === 'branch' || tree.kind === 'leaf' ? tree.space.keyHeads : false
}

describe('data-file format versions through the engine', () => {
  it('a version-1 store takes writes and checkpoints in version 1, reopens, and compact rewrites it in version 3', async () => {
    const dir = await storeInVersion(1)
    const vfs = new NodeVfs()
    const db = await open(dir)
    for (let i = 0; i < 3000; i++) await db.batch([{ type: 'put', key: key(i), value: `value ${i}` }])
    for (let i = 0; i < 3000; i += 3) await db.del(key(i))
    await db.checkpoint()
    expect((await db.check()).problems).toEqual([])
    await db.close()
    const before = await inspectMeta(vfs, join(dir, 'data.tdb'))
    expect([before.formatVersion, before.pageChecksum, before.slots[0].status, before.slots[1].status]).toEqual([1, 'CRC-32C', 'valid', 'valid'])

    const reopened = await open(dir)
    expect(new TextDecoder().decode(await reopened.get(key(1)))).toBe('value 1')
    expect(await reopened.get(key(3))).toBeUndefined()
    await reopened.close()

    const report = await compact(dir)
    expect(report.entries).toBe(2000)
    const after = await inspectMeta(vfs, join(dir, 'data.tdb'))
    expect([after.formatVersion, after.pageChecksum]).toEqual([3, 'CRC-32'])
    expect(await rootHasKeyHeads(vfs, dir)).toBe(true)
    const compacted = await open(dir)
    expect((await compacted.check()).problems).toEqual([])
    const found: string[] = []
    for await (const [entryKey] of compacted.scan({ limit: 3 })) found.push(new TextDecoder().decode(entryKey))
    expect(found).toEqual([key(1), key(2), key(4)])
    await compacted.close()
  })

  it('a version-2 store keeps tree pages without key heads, and the key limit it was made with', async () => {
    const dir = await storeInVersion(2)
    const vfs = new NodeVfs()
    const db = await open(dir)
    const longKey = new Uint8Array(992).fill(0x6b) // the limit of format 2; format 3's is 988
    await db.put(longKey, 'long')
    for (let i = 0; i < 3000; i++) await db.batch([{ type: 'put', key: key(i), value: `value ${i}` }])
    await db.checkpoint()
    expect((await db.check()).problems).toEqual([])
    await db.close()
    expect((await inspectMeta(vfs, join(dir, 'data.tdb'))).formatVersion).toBe(2)
    expect(await rootHasKeyHeads(vfs, dir)).toBe(false)

    // The current format cannot hold that key: compact says so, and the store is as it was.
    const error = await compact(dir).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(TinyDbError.isInstance(error) && [error.code, error.message]).toEqual([
      'TOO_LARGE',
      'cannot compact: key of 992 bytes exceeds the limit of 988 bytes in the current data-file format ' +
        "(this store's file is format 2, which allowed it); the store is unchanged",
    ])
    expect(await vfs.exists(join(dir, 'data.tdb.compacting'))).toBe(false)
    const reopened = await open(dir)
    expect(new TextDecoder().decode(await reopened.get(longKey))).toBe('long')
    expect((await reopened.check()).problems).toEqual([])
    await reopened.del(longKey)
    await reopened.close()

    await compact(dir)
    expect((await inspectMeta(vfs, join(dir, 'data.tdb'))).formatVersion).toBe(3)
    expect(await rootHasKeyHeads(vfs, dir)).toBe(true)
    const compacted = await open(dir)
    expect(new TextDecoder().decode(await compacted.get(key(2999)))).toBe('value 2999')
    await expect(compacted.put(longKey, 'no')).rejects.toMatchObject({ code: 'TOO_LARGE' })
    expect((await compacted.check()).problems).toEqual([])
    await compacted.close()
  })
})
