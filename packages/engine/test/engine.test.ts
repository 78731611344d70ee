import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NodeVfs, ObservedVfs, type VfsEvent } from '@tinydb/vfs'
import { open, TinyDbError, type Db, type OpenOptions } from '../src/index.js'

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes))

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (TinyDbError.isInstance(error)) return error.code
    throw error
  }
  throw new Error('expected the promise to reject')
}

async function entries(db: Db, options?: Parameters<Db['scan']>[0]): Promise<[string, string][]> {
  const result: [string, string][] = []
  for await (const [key, value] of db.scan(options)) result.push([text(key)!, text(value)!])
  return result
}

describe('engine on the real file system', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tinydb-engine-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('puts, gets, deletes and scans, and keeps everything across close and reopen', async () => {
    const db = await open(dir)
    expect(db.recovery.created).toBe(true)
    await db.put('b', '2')
    await db.put(new TextEncoder().encode('a'), '1')
    await db.put('c', '3')
    await db.del('b')
    await db.del('missing')
    expect(text(await db.get('a'))).toBe('1')
    expect(await db.get('b')).toBeUndefined()
    expect(text(db.getSync('c'))).toBe('3')
    expect(await entries(db)).toEqual([['a', '1'], ['c', '3']])
    await db.close()

    const reopened = await open(dir)
    expect(reopened.recovery.created).toBe(false)
    expect(reopened.recovery.recordsReplayed).toBe(0)
    expect(await entries(reopened)).toEqual([['a', '1'], ['c', '3']])
    await reopened.close()
  })

  it('scans ranges both ways with limits', async () => {
    const db = await open(dir)
    await db.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(2, '0')}`, value: `v${i}` })))
    expect((await entries(db, { gte: 'k10', lt: 'k13' })).map(([k]) => k)).toEqual(['k10', 'k11', 'k12'])
    expect((await entries(db, { gt: 'k10', lte: 'k13' })).map(([k]) => k)).toEqual(['k11', 'k12', 'k13'])
    expect((await entries(db, { reverse: true, limit: 3 })).map(([k]) => k)).toEqual(['k49', 'k48', 'k47'])
    expect((await entries(db, { lt: 'k03', reverse: true })).map(([k]) => k)).toEqual(['k02', 'k01', 'k00'])
    expect(await entries(db, { limit: 0 })).toEqual([])
    await db.close()
  })

  it('refuses bad arguments with INVALID_ARGUMENT and changes nothing', async () => {
    const db = await open(dir)
    await db.put('kept', 'yes')
    const bad = db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    expect(await codeOf(bad['put']!.call(db, 42, 'v'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(bad['put']!.call(db, 'k', null))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(bad['get']!.call(db, undefined))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(bad['batch']!.call(db, 'nope'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(bad['batch']!.call(db, [{ type: 'put', key: 'a', value: 'b' }, { type: 'merge', key: 'a' }]))).toBe('INVALID_ARGUMENT')
    expect(() => db.scan({ limit: -1 })).toThrow(TinyDbError)
    expect(await codeOf(open(dir, { durability: 'sometimes' as 'sync' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(open(dir, { commitWrites: 'sometimes' as 'auto' }))).toBe('INVALID_ARGUMENT')
    for (const checkpointFlushAfter of [-1, 1.5, Number.NaN, '256k' as unknown as number]) {
      expect(`${String(checkpointFlushAfter)}: ${await codeOf(open(dir, { checkpointFlushAfter }))}`).toBe(`${String(checkpointFlushAfter)}: INVALID_ARGUMENT`)
    }
    // Refused before anything touches the disk: no directory is made for a store that cannot open.
    const missing = join(dir, 'never-created')
    expect(await codeOf(open(missing, { commitWrites: 'sometimes' as 'auto' }))).toBe('INVALID_ARGUMENT')
    expect(await stat(missing).then(() => 'exists', () => 'absent')).toBe('absent')
    expect(await entries(db)).toEqual([['kept', 'yes']])
    await db.close()
  })

  it('refuses oversized keys, values and batches with TOO_LARGE and writes nothing', async () => {
    const db = await open(dir)
    expect(await codeOf(db.put(new Uint8Array(100_000), 'v'))).toBe('TOO_LARGE')
    expect(await codeOf(db.put('k', new Uint8Array(17 * 1024 * 1024)))).toBe('TOO_LARGE')
    expect(await codeOf(db.batch([{ type: 'put', key: 'ok', value: 'fine' }, { type: 'put', key: new Uint8Array(5000), value: '' }]))).toBe('TOO_LARGE')
    expect(await entries(db)).toEqual([])
    expect(db.stats().wal.appliedLsn).toBe(0)
    await db.close()
  })

  it('stats().wal.groups: lone puts take a write each, concurrent ones share them', async () => {
    const db = await open(dir)
    expect(db.stats().wal.groups).toEqual({ groups: 0, records: 0, bytes: 0, writeMs: 0, inline: 0 })
    for (let i = 0; i < 3; i++) await db.put(`lone${i}`, 'v')
    const lone = db.stats().wal.groups
    expect(lone).toMatchObject({ groups: 3, records: 3 })
    await Promise.all(Array.from({ length: 10 }, (_, i) => db.put(`together${i}`, 'v')))
    const after = db.stats().wal.groups
    expect(after.records - lone.records).toBe(10)
    expect(after.groups - lone.groups).toBeLessThan(10)
    expect(after.bytes).toBeGreaterThan(lone.bytes)
    expect(after.writeMs).toBeGreaterThan(0)
    await db.close()
  })

  it('stores large values on overflow pages', async () => {
    const db = await open(dir)
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff)
    await db.put('big', big)
    await db.close()
    const reopened = await open(dir)
    const stored = await reopened.get('big')
    // Compared as one buffer: a deep toEqual over a million elements takes seconds.
    expect(stored !== undefined && Buffer.from(big).equals(stored)).toBe(true)
    expect((await reopened.check()).ok).toBe(true)
    await reopened.close()
  })

  it('is locked while open, and reports CLOSED after close', async () => {
    const db = await open(dir)
    expect(await codeOf(open(dir))).toBe('LOCKED')
    await db.close()
    await db.close()
    expect(await codeOf(db.put('a', 'b'))).toBe('CLOSED')
    expect(() => db.getSync('a')).toThrow(TinyDbError)
    const again = await open(dir)
    await again.close()
  })

  it('checkpoints in the background when modified pages take half the cache', async () => {
    const cacheSize = 256 * 1024
    const db = await open(dir, { cacheSize, checkpointThreshold: 1024 * 1024 * 1024 })
    // Scattered keys modify a different leaf almost every time: the log stays far below its
    // threshold while modified pages pile up, and they alone must start checkpoints.
    let mostDirtyPages = 0
    for (let i = 0; i < 3000; i++) {
      const key = `k${String((i * 7919) % 3000).padStart(5, '0')}`
      await db.put(key, 'v'.repeat(100))
      mostDirtyPages = Math.max(mostDirtyPages, db.stats().dirtyPages)
    }
    const stats = db.stats()
    expect(stats.checkpoints.completed).toBeGreaterThan(0)
    expect(stats.wal.bytesSinceCheckpoint).toBeLessThan(1024 * 1024)
    // A checkpoint starts at half the cache; writes go on while it runs until modified pages
    // fill the cache, then they wait for it (a write stall). One put modifies a few pages at most.
    expect(mostDirtyPages * stats.pageSize).toBeLessThanOrEqual(cacheSize + 8 * stats.pageSize)
    await db.close()
  })

  it('writes what a paused writer modified without waiting for close, so close writes nothing to the data file', async () => {
    const events: VfsEvent[] = []
    const vfs = new ObservedVfs(new NodeVfs(), (event) => events.push(event))
    // 1/64 of a 4 MiB cache is 16 pages: one batch of scattered keys modifies more.
    const db = await open(dir, { vfs, cacheSize: 4 * 1024 * 1024, checkpointThreshold: 1024 * 1024 * 1024 })
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: `k${String((i * 7919) % 2000).padStart(5, '0')}`, value: 'v'.repeat(100) })))
    // Far below both thresholds (half the cache, the log's): nothing is sealed while the
    // writer may still follow up...
    expect(db.stats().dirtyPages * db.stats().pageSize).toBeLessThan(1024 * 1024)
    expect(db.stats().checkpoints.running).toBe(false)
    // ...but a read once no write has been in flight for 10 ms sees that writing stopped, even
    // when the event loop never turned in between (a timer would see it otherwise).
    const drained = performance.now()
    while (!db.stats().checkpoints.running && performance.now() - drained < 10_000) db.getSync('k00000')
    expect(db.stats().checkpoints.running).toBe(true)
    for (let turns = 0; db.stats().checkpoints.running && turns < 10_000; turns++) await new Promise((resolve) => setTimeout(resolve, 1))
    expect([db.stats().checkpoints.running, db.stats().checkpoints.completed, db.stats().dirtyPages]).toEqual([false, 1, 0])
    events.length = 0
    await db.close()
    expect(events.filter((event) => event.op === 'write' && event.path.endsWith('.tdb'))).toEqual([])
  })

  it('a writer that stops and leaves the process idle gets its pages written too (a timer sees the stop)', async () => {
    const db = await open(dir, { cacheSize: 4 * 1024 * 1024, checkpointThreshold: 1024 * 1024 * 1024 })
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: `k${String((i * 7919) % 2000).padStart(5, '0')}`, value: 'v'.repeat(100) })))
    for (let turns = 0; db.stats().checkpoints.completed === 0 && turns < 2000; turns++) await new Promise((resolve) => setTimeout(resolve, 1))
    expect([db.stats().checkpoints.completed, db.stats().dirtyPages]).toEqual([1, 0])
    await db.close()
  })

  it('writers that follow up at once never look stopped: no checkpoint below the thresholds', async () => {
    const db = await open(dir, { cacheSize: 4 * 1024 * 1024, checkpointThreshold: 1024 * 1024 * 1024 })
    // A lone writer awaiting each put, then 16 writers each awaiting their own: 16 pages (1/64 of
    // the cache) are modified within the first few hundred puts, but no write ever finds the store idle.
    for (let i = 0; i < 2000; i++) await db.put(`key${(i * 7919) % 2000}`, 'v'.repeat(100))
    await Promise.all(Array.from({ length: 16 }, async (_, writer) => {
      for (let i = writer; i < 2000; i += 16) await db.put(`other${(i * 7919) % 2000}`, 'v'.repeat(100))
    }))
    expect([db.stats().checkpoints.running, db.stats().checkpoints.completed]).toEqual([false, 0])
    expect(db.stats().dirtyPages).toBeGreaterThan(16)
    await db.close()
  })

  it('checkpoints in the background past the log threshold and stays consistent', async () => {
    const db = await open(dir, { checkpointThreshold: 16 * 1024, walSegmentSize: 64 * 1024 })
    for (let i = 0; i < 600; i++) await db.put(`key${i}`, `value-${i}-${'x'.repeat(40)}`)
    await db.checkpoint()
    const stats = db.stats()
    expect(stats.checkpoints.completed).toBeGreaterThan(1)
    expect(stats.wal.bytesSinceCheckpoint).toBe(0)
    const report = await db.check()
    expect(report.problems).toEqual([])
    expect(report.keys).toBe(600)
    await db.close()
    const reopened = await open(dir)
    expect(text(await reopened.get('key599'))).toBe(`value-599-${'x'.repeat(40)}`)
    expect((await entries(reopened)).length).toBe(600)
    await reopened.close()
  })

  it('syncs a checkpoint\'s pages every checkpointFlushAfter bytes, and once with 0', async () => {
    const dataSyncsOfACheckpoint = async (options: OpenOptions): Promise<number> => {
      const store = await mkdtemp(join(dir, 'flush-'))
      let dataSyncs = 0
      const vfs = new ObservedVfs(new NodeVfs(), (event) => {
        if (event.op === 'sync' && event.path.endsWith('.tdb')) dataSyncs++
      })
      const db = await open(store, { vfs, ...options })
      // ~350 leaves of 4 KiB (~1.4 MB) for each checkpoint to write.
      const batch = (value: string) => Array.from({ length: 10_000 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(5, '0')}`, value }))
      // The first checkpoint of an open also confirms the meta it opened at (one more sync): count the second.
      await db.batch(batch('v'.repeat(100)))
      await db.checkpoint()
      await db.batch(batch('w'.repeat(100)))
      dataSyncs = 0
      await db.checkpoint()
      const synced = dataSyncs
      await db.close()
      const reopened = await open(store)
      expect((await entries(reopened)).length).toBe(10_000)
      await reopened.close()
      return synced
    }
    // The pages once, then the meta.
    expect(await dataSyncsOfACheckpoint({ checkpointFlushAfter: 0 })).toBe(2)
    // Two pages per sync: over a hundred syncs of the pages.
    expect(await dataSyncsOfACheckpoint({ checkpointFlushAfter: 8 * 1024 })).toBeGreaterThan(100)
    // The default, 256 KiB: at least five slices.
    expect(await dataSyncsOfACheckpoint({})).toBeGreaterThanOrEqual(6)
    // With durability 'none' the default is one sync, and the option still applies.
    expect(await dataSyncsOfACheckpoint({ durability: 'none' })).toBe(2)
    expect(await dataSyncsOfACheckpoint({ durability: 'none', checkpointFlushAfter: 8 * 1024 })).toBeGreaterThan(100)
  })

  it('groups concurrent writers and applies them all', async () => {
    const db = await open(dir)
    await Promise.all(Array.from({ length: 200 }, (_, i) => db.put(`c${i}`, `${i}`)))
    expect((await entries(db)).length).toBe(200)
    await db.close()
  })

  it('works with durability none', async () => {
    const db = await open(dir, { durability: 'none' })
    await db.put('a', '1')
    await db.close()
    const reopened = await open(dir)
    expect(text(await reopened.get('a'))).toBe('1')
    await reopened.close()
  })
})
