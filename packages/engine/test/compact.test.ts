import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NodeVfs, ObservedVfs } from '@tinydb/vfs'
import { compact, open } from '../src/index.js'

/** compact on the real file system: what it reports, what it refuses. The crash proofs are in crash/. */

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tinydb-compact-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('compact', () => {
  it('shrinks a store with many deleted entries and keeps the rest', async () => {
    const dir = join(await tempDir(), 'db')
    const db = await open(dir, { pageSize: 1024 })
    for (let i = 0; i < 2000; i++) await db.batch([{ type: 'put', key: `key${String(i).padStart(5, '0')}`, value: 'v'.repeat(i % 10 === 0 ? 3000 : 40) }])
    for (let i = 0; i < 2000; i++) if (i % 4 !== 0) await db.del(`key${String(i).padStart(5, '0')}`)
    await db.close()
    const sizeBefore = (await stat(join(dir, 'data.tdb'))).size
    const seen: number[] = []
    const report = await compact(dir, { onProgress: (p) => seen.push(p.entries / p.totalEntries) })
    expect(report).toMatchObject({ dir, entries: 500, pageSize: 1024, bytesBefore: sizeBefore })
    expect(report.pagesAfter).toBeLessThan(report.pagesBefore / 2)
    expect(report.bytesAfter).toBe((await stat(join(dir, 'data.tdb'))).size)
    expect(report.bytesReclaimed).toBe(report.bytesBefore - report.bytesAfter)
    expect(seen.at(-1)).toBe(1)
    expect((await readdir(dir)).filter((name) => name.startsWith('data.tdb'))).toEqual(['data.tdb'])
    const reopened = await open(dir)
    expect((await reopened.check()).problems).toEqual([])
    expect(reopened.stats()).toMatchObject({ pageCount: report.pagesAfter, freePages: 0 })
    expect(new TextDecoder().decode(await reopened.get('key01000'))).toBe('v'.repeat(3000))
    expect(await reopened.get('key01001')).toBeUndefined()
    await reopened.put('more', 'writes')
    await reopened.close()
    // Compacting again after one more entry: the packed tree stays about the same size.
    const again = await compact(dir)
    expect(again.entries).toBe(501)
    expect(again.pagesAfter).toBeLessThanOrEqual(report.pagesAfter + 2)
  })

  it('syncs the new file\'s pages once, not in checkpointFlushAfter slices: the store is locked, nothing waits', async () => {
    const dir = join(await tempDir(), 'db')
    const db = await open(dir)
    await db.batch(Array.from({ length: 10_000 }, (_, i) => ({ type: 'put' as const, key: `key${String(i).padStart(5, '0')}`, value: 'v'.repeat(100) })))
    await db.close()
    const syncs = new Map<string, number>()
    const vfs = new ObservedVfs(new NodeVfs(), (event) => {
      if (event.op === 'sync') syncs.set(event.path, (syncs.get(event.path) ?? 0) + 1)
    })
    const report = await compact(dir, { vfs })
    // Over 1 MiB of pages: in 256 KiB slices they would take at least four syncs.
    expect(report.pagesAfter * report.pageSize).toBeGreaterThan(1024 * 1024)
    // Confirming the meta it was created with (the first checkpoint of an open does), its pages, its meta.
    expect(syncs.get(join(dir, 'data.tdb.compacting'))).toBe(3)
  })

  it('refuses a store that is open (LOCKED) and a directory without a store (INVALID_ARGUMENT)', async () => {
    const dir = join(await tempDir(), 'db')
    await expect(compact(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const db = await open(dir)
    await db.put('a', 'b')
    await expect(compact(dir)).rejects.toMatchObject({ code: 'LOCKED' })
    await db.close()
    await expect(compact(dir)).resolves.toMatchObject({ entries: 1 })
  })

  it('compacts an empty store', async () => {
    const dir = join(await tempDir(), 'db')
    await (await open(dir)).close()
    expect(await compact(dir)).toMatchObject({ entries: 0, pagesAfter: 2 })
    const db = await open(dir)
    expect((await db.check()).ok).toBe(true)
    await db.close()
  })
})
