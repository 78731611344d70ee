import { mkdtemp, open as openFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EntryStream } from 'level-read-stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TinyLevel, TinyLevelError } from '../src/index.js'

/**
 * TinyDB-specific behaviour of the adapter; the Level contract itself is covered by the
 * abstract-level suite in test/compliance.mjs.
 */

let root: string
const opened: TinyLevel<unknown, unknown>[] = []

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tinylevel-'))
})

afterEach(async () => {
  for (const db of opened.splice(0)) await db.close()
  await rm(root, { recursive: true, force: true })
})

function level<K = string, V = string>(name = 'db', options: ConstructorParameters<typeof TinyLevel<K, V>>[1] = {}): TinyLevel<K, V> {
  const db = new TinyLevel<K, V>(join(root, name), { walSegmentSize: 64 * 1024, ...options })
  opened.push(db as TinyLevel<unknown, unknown>)
  return db
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await promise
  } catch (error) {
    return error as Error & { code?: string; cause?: unknown }
  }
  throw new Error('expected a rejection')
}

describe('TinyLevel', () => {
  it('declares what it supports, snapshots and iterator signals included', async () => {
    const db = level()
    expect(db.supports).toMatchObject({
      permanence: true,
      seek: true,
      has: true,
      getSync: true,
      createIfMissing: true,
      errorIfExists: true,
      implicitSnapshots: true,
      snapshots: true,
      explicitSnapshots: true,
      signals: { iterators: true },
    })
    expect(db.supports.encodings).toMatchObject({ view: true, buffer: true, utf8: true, json: true })
    await db.open()
    await db.snapshot().close()
  })

  it('keeps every encoding, sublevels and batches through close and reopen', async () => {
    const first = level<string, unknown>('store', { valueEncoding: 'json' })
    await first.put('config', { retries: 3, tags: ['a', 'b'] })
    const users = first.sublevel<string, { name: string }>('users', { valueEncoding: 'json' })
    await users.batch([
      { type: 'put', key: 'ada', value: { name: 'Ada' } },
      { type: 'put', key: 'grace', value: { name: 'Grace' } },
    ])
    await first.put(Buffer.from([0xff, 0x00]) as unknown as string, Buffer.from([1, 2, 3]), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    await first.close()

    const second = level<string, unknown>('store', { valueEncoding: 'json' })
    expect(await second.get('config')).toEqual({ retries: 3, tags: ['a', 'b'] })
    const reopenedUsers = second.sublevel<string, { name: string }>('users', { valueEncoding: 'json' })
    expect(await reopenedUsers.keys().all()).toEqual(['ada', 'grace'])
    expect(await reopenedUsers.get('grace')).toEqual({ name: 'Grace' })
    const raw = await second.get(Buffer.from([0xff, 0x00]) as unknown as string, { keyEncoding: 'buffer', valueEncoding: 'view' })
    expect(raw).toEqual(new Uint8Array([1, 2, 3]))
    // Sublevel keys are prefixed in the one keyspace: `!users!ada`, ordered byte-wise.
    expect(await second.keys({ keyEncoding: 'utf8' }).all()).toEqual(['!users!ada', '!users!grace', 'config', '\ufffd\u0000'])
  })

  it('get of a missing key is undefined (abstract-level 3), also through getMany, has and getSync', async () => {
    const db = level()
    await db.put('present', 'yes')
    expect(await db.get('absent')).toBeUndefined()
    expect(await db.getMany(['absent', 'present'])).toEqual([undefined, 'yes'])
    expect(await db.has('absent')).toBe(false)
    expect(await db.hasMany(['absent', 'present'])).toEqual([false, true])
    expect(db.getSync('present')).toBe('yes')
    expect(db.getSync('absent')).toBeUndefined()
  })

  it('stores empty keys and empty values', async () => {
    const db = level()
    await db.put('', '')
    expect(await db.get('')).toBe('')
    expect(await db.iterator().all()).toEqual([['', '']])
  })

  it('reports a store held by another instance as LEVEL_LOCKED (inside LEVEL_DATABASE_NOT_OPEN)', async () => {
    const holder = level('shared')
    await holder.open()
    const second = level('shared')
    const error = await rejection(second.open())
    expect(error.code).toBe('LEVEL_DATABASE_NOT_OPEN')
    const cause = error.cause as TinyLevelError
    expect(cause).toBeInstanceOf(TinyLevelError)
    expect(cause.code).toBe('LEVEL_LOCKED')
    expect(cause.cause).toMatchObject({ name: 'TinyDbError', code: 'LOCKED' })
  })

  it('refuses a key over the engine limit with LEVEL_INVALID_KEY and writes nothing', async () => {
    const db = level()
    const longKey = 'k'.repeat(5000)
    const error = await rejection(db.put(longKey, 'v'))
    expect(error.code).toBe('LEVEL_INVALID_KEY')
    expect(error.cause).toMatchObject({ code: 'TOO_LARGE' })

    const batchError = await rejection(db.batch([{ type: 'put', key: 'fine', value: 'v' }, { type: 'del', key: longKey }]))
    expect(batchError.code).toBe('LEVEL_INVALID_KEY')
    expect(await db.keys().all()).toEqual([])
  })

  it('refuses a value over the engine limit with LEVEL_INVALID_VALUE and writes nothing', async () => {
    const db = level<string, Uint8Array>('db', { valueEncoding: 'view' })
    const error = await rejection(db.put('big', new Uint8Array(16 * 1024 * 1024 + 1)))
    expect(error.code).toBe('LEVEL_INVALID_VALUE')
    expect(error.cause).toMatchObject({ code: 'TOO_LARGE' })
    expect(await db.has('big')).toBe(false)
  })

  it('reports damaged pages as LEVEL_CORRUPTION, with the engine error (file, page) as cause', async () => {
    const db = level('damaged')
    await db.batch(Array.from({ length: 300 }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value: 'v'.repeat(50) })))
    await db.close()
    // Flip one byte inside every page but the two meta pages (0 and 1) of each file of the store.
    const pageSize = 4096
    for (const entry of await readdir(join(root, 'damaged'), { withFileTypes: true })) {
      if (!entry.isFile()) continue
      const file = await openFile(join(root, 'damaged', entry.name), 'r+')
      const { size } = await file.stat()
      for (let offset = 2 * pageSize + 200; offset < size; offset += pageSize) {
        const byte = Buffer.alloc(1)
        await file.read(byte, 0, 1, offset)
        byte[0] = byte[0]! ^ 0xff
        await file.write(byte, 0, 1, offset)
      }
      await file.close()
    }
    const reopened = level('damaged')
    const error = await rejection(reopened.keys().all())
    // Found while reading, or (should the engine read those pages on open) while opening.
    const found = error.code === 'LEVEL_DATABASE_NOT_OPEN' ? (error.cause as TinyLevelError) : error
    expect(found.code).toBe('LEVEL_CORRUPTION')
    expect(found.cause).toMatchObject({ name: 'TinyDbError', code: 'CORRUPTION' })
    expect(found.message).toMatch(/page \d+/)
  })

  it('createIfMissing: false fails on a missing or empty directory; errorIfExists: true on a store', async () => {
    const missing = level('missing', { createIfMissing: false })
    const notFound = await rejection(missing.open())
    expect(notFound.code).toBe('LEVEL_DATABASE_NOT_OPEN')
    expect((notFound.cause as Error).message).toMatch(/does not exist/)

    await mkdir(join(root, 'empty'))
    const empty = level('empty')
    const emptyError = await rejection(empty.open({ createIfMissing: false }))
    expect((emptyError.cause as Error).message).toMatch(/does not exist/)

    const store = level('store')
    await store.put('a', '1')
    await store.close()
    const exists = await rejection(store.open({ errorIfExists: true }))
    expect((exists.cause as Error).message).toMatch(/exists/)
    await store.open({ createIfMissing: false })
    expect(await store.get('a')).toBe('1')
  })

  it('does not count a directory with unrelated files as missing (it is not inspected)', async () => {
    await mkdir(join(root, 'other'))
    await writeFile(join(root, 'other', 'notes.txt'), 'hello')
    const db = level('other', { errorIfExists: true })
    const error = await rejection(db.open())
    expect((error.cause as Error).message).toMatch(/exists/)
  })


  it('seek stays inside the iterator range, in both directions', async () => {
    const db = level()
    await db.batch(['a', 'b', 'c', 'd', 'e', 'f'].map((key) => ({ type: 'put' as const, key, value: key })))

    const forward = db.keys({ gt: 'b', lt: 'e' })
    forward.seek('a')
    expect(await forward.all()).toEqual(['c', 'd'])

    const reverse = db.keys({ gte: 'b', lte: 'e', reverse: true })
    reverse.seek('d')
    expect(await reverse.next()).toBe('d')
    reverse.seek('z')
    expect(await reverse.all()).toEqual(['e', 'd', 'c', 'b'])

    const outside = db.keys({ lt: 'c' })
    outside.seek('d')
    expect(await outside.all()).toEqual([])
  })

  it('clears a range larger than one delete batch, with limit and reverse', async () => {
    const db = level()
    const keys = Array.from({ length: 2600 }, (_, i) => `k${String(i).padStart(4, '0')}`)
    await db.batch(keys.map((key) => ({ type: 'put' as const, key, value: 'v' })))
    await db.clear({ gte: 'k0100', lt: 'k2300' })
    expect(await db.keys().all()).toEqual([...keys.slice(0, 100), ...keys.slice(2300)])
    await db.clear({ reverse: true, limit: 150 })
    expect(await db.keys().all()).toEqual([...keys.slice(0, 100), ...keys.slice(2300, 2450)])
    await db.clear()
    expect(await db.keys().all()).toEqual([])
  })

  it('works with level-read-stream', async () => {
    const db = level<string, unknown>('db', { valueEncoding: 'json' })
    await db.batch([
      { type: 'put', key: 'a', value: 1 },
      { type: 'put', key: 'b', value: [2] },
      { type: 'put', key: 'c', value: { three: 3 } },
    ])
    const entries: { key: string; value: unknown }[] = []
    for await (const entry of new EntryStream(db, { gt: 'a' })) entries.push(entry as { key: string; value: unknown })
    expect(entries).toEqual([
      { key: 'b', value: [2] },
      { key: 'c', value: { three: 3 } },
    ])
  })

  it('exposes the engine store while open, and refuses it when closed', async () => {
    const db = level()
    await db.put('a', '1')
    expect(db.engine.stats().writes.puts).toBe(1)
    expect((await db.engine.check()).ok).toBe(true)
    await db.close()
    expect(() => db.engine).toThrow(expect.objectContaining({ code: 'LEVEL_DATABASE_NOT_OPEN' }))
  })

  it('rejects an empty location', () => {
    expect(() => new TinyLevel('')).toThrow(TypeError)
  })
})
