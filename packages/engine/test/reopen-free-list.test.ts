import { describe, expect, it } from 'vitest'
import { inspectFreeList, inspectMeta } from '@tinydb/pager'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { open, type Db } from '../src/index.js'

/**
 * Reopening a store whose data file has a free list of several pages: the pager keeps the list as
 * read (no index built at open), so these check, through the engine, that every later use of it
 * is right, and that a free list listing a page twice — which open's order check cannot see — is
 * reported before anything is written.
 */
const SEED = 11
const DIR = '/db'
const DATA = `${DIR}/data.tdb`
const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes))
const key = (i: number): string => `key-${String(i).padStart(4, '0')}`
const value = (i: number, round = 0): string => `value ${i} round ${round} `.padEnd(60, '.')

/** 2,000 keys written, 1,600 deleted and checkpointed twice: a free list of several 512-byte pages. */
async function storeWithFreePages(): Promise<SimVfs> {
  console.log(`reopen-free-list: SimVfs seed ${SEED}`)
  const vfs = new SimVfs({ seed: SEED })
  const db = await open(DIR, { vfs, pageSize: 512 })
  await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: value(i) })))
  await db.checkpoint()
  await db.batch(Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 5 !== 0).map((i) => ({ type: 'del' as const, key: key(i) })))
  await db.checkpoint()
  await db.checkpoint()
  await db.close()
  return vfs
}

function wrongKeys(db: Db, expected: (i: number) => string | undefined): string[] {
  const wrong: string[] = []
  for (let i = 0; i < 2100; i++) if (text(db.getSync(key(i))) !== expected(i)) wrong.push(key(i))
  return wrong
}

describe('reopening a store with a free list of several pages', () => {
  it('serves every key, and reuses free pages before growing the file, across further reopens', async () => {
    const vfs = await storeWithFreePages()
    const db = await open(DIR, { vfs })
    const before = db.stats()
    console.log(`reopen-free-list: ${before.freePages} free of ${before.pageCount} pages`)
    expect(before.freePages > 250).toBe(true)
    expect(wrongKeys(db, (i) => (i < 2000 && i % 5 === 0 ? value(i) : undefined))).toEqual([])
    await db.batch(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: key(2000 + i), value: value(2000 + i) })))
    await db.checkpoint()
    const after = db.stats()
    expect([after.pageCount, after.freePages < before.freePages]).toEqual([before.pageCount, true])
    await db.close()
    const reopened = await open(DIR, { vfs })
    expect(wrongKeys(reopened, (i) => (i >= 2000 || i % 5 === 0 ? value(i) : undefined))).toEqual([])
    expect((await reopened.check()).problems).toEqual([])
    await reopened.close()
  })

  it('a free list listing a page twice opens and reads, then the first write is CORRUPTION naming that page, and nothing reaches the data file', async () => {
    const vfs = await storeWithFreePages()
    const meta = await inspectMeta(vfs, DATA)
    const live = meta.slots[meta.live!].meta!
    const pageSize = meta.pageSize!
    const { chainPageIds } = await inspectFreeList(vfs, DATA, pageSize, live, meta.formatVersion!)
    const chainPage = chainPageIds[0]!
    const image = vfs.readDurable(DATA).slice(chainPage * pageSize, (chainPage + 1) * pageSize)
    const view = new DataView(image.buffer)
    const repeated = view.getUint32(24, true) // the first entry, listed again as the second
    view.setUint32(28, repeated, true)
    view.setUint32(0, pageCrc(meta.pageChecksum!, image.subarray(4)), true)
    vfs.overwrite(DATA, chainPage * pageSize, image)
    const planted = vfs.readDurable(DATA).slice()

    const db = await open(DIR, { vfs })
    expect(wrongKeys(db, (i) => (i < 2000 && i % 5 === 0 ? value(i) : undefined))).toEqual([])
    const failure = await db.put(key(0), value(0, 1)).then(() => undefined, (error: unknown) => error)
    const expected = ['CORRUPTION', DATA, chainPage, `page ${repeated} listed twice in the free list`]
    const describe = (error: unknown): unknown =>
      TinyDbError.isInstance(error) ? [error.code, error.file, error.pageId, error.message.replace(/.*: /, '')] : String(error)
    expect(describe(failure)).toEqual(expected)
    await db.close().catch(() => undefined)
    // The log holds the write (it was durable before it was applied): reopening replays it into
    // the same damaged list, and says so instead of opening.
    expect(describe(await open(DIR, { vfs }).then(() => undefined, (error: unknown) => error))).toEqual(expected)
    expect(Buffer.from(vfs.readDurable(DATA)).equals(Buffer.from(planted))).toBe(true)
  })
})

/**
 * The page checksum the file's format uses (CRC-32 or CRC-32C, both reflected), written out here
 * so that the test plants a page with a valid checksum without borrowing the pager's own code.
 */
function pageCrc(name: 'CRC-32' | 'CRC-32C', bytes: Uint8Array): number {
  const polynomial = name === 'CRC-32' ? 0xedb88320 : 0x82f63b78
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomial : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}
