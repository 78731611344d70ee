import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { inspectMeta } from '@tinydb/pager'
import { NodeVfs } from '@tinydb/vfs'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeMeta } from '../../pager/src/meta-format.js'
import { compact, open } from '../src/index.js'

/**
 * A store whose data file an older TinyDB made (pager format version 1: every page CRC-32C) keeps
 * working, in that version, and `compact` rewrites it in the current one.
 */

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

const PAGE_SIZE = 4096
const key = (i: number): string => `key${String(i).padStart(5, '0')}`

/** An empty store as format version 1 creates it: both metas recording checkpoint 0, and no log yet. */
async function versionOneStore(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'tinydb-format-')), 'db')
  dirs.push(dirname(dir))
  await mkdir(dir)
  const image = new Uint8Array(2 * PAGE_SIZE)
  const meta = { checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: 2, freeListPageId: 0, freePageCount: 0 }
  encodeMeta(image.subarray(0, PAGE_SIZE), 0, meta, 1)
  encodeMeta(image.subarray(PAGE_SIZE), 1, meta, 1)
  await writeFile(join(dir, 'data.tdb'), image)
  return dir
}

describe('data-file format versions through the engine', () => {
  it('a version-1 store takes writes and checkpoints in version 1, reopens, and compact rewrites it in version 2', async () => {
    const dir = await versionOneStore()
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
    expect([after.formatVersion, after.pageChecksum]).toEqual([2, 'CRC-32'])
    const compacted = await open(dir)
    expect((await compacted.check()).problems).toEqual([])
    const found: string[] = []
    for await (const [entryKey] of compacted.scan({ limit: 3 })) found.push(new TextDecoder().decode(entryKey))
    expect(found).toEqual([key(1), key(2), key(4)])
    await compacted.close()
  })
})
