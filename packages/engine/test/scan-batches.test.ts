import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { open, type Db } from '../src/index.js'

// db.scan reads the tree in batches (scan-iterator.ts); these tests pin what must not change:
// order, limits across batch boundaries, no skipped or repeated keys under concurrent writes,
// early exit, and a scan not outliving its store.
const SEED = 11
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const key = (index: number) => `k${String(index).padStart(5, '0')}`

async function store(count: number): Promise<Db> {
  const db = await open('/db', { vfs: new SimVfs({ seed: SEED }) })
  for (let at = 0; at < count; at += 500) {
    const ops = []
    for (let index = at; index < Math.min(count, at + 500); index++) ops.push({ type: 'put' as const, key: key(index), value: `v${index}` })
    await db.batch(ops)
  }
  return db
}

async function keys(iterable: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = []
  for await (const [k] of iterable) out.push(text(k))
  return out
}

describe(`scan in batches (seed ${SEED})`, () => {
  it('returns every entry in order, both ways, and honours limits across batch boundaries', async () => {
    const db = await store(3000)
    const all = Array.from({ length: 3000 }, (_, index) => key(index))
    expect(await keys(db.scan())).toEqual(all)
    expect(await keys(db.scan({ reverse: true }))).toEqual([...all].reverse())
    for (const limit of [0, 1, 16, 17, 48, 49, 1000]) expect(await keys(db.scan({ limit }))).toEqual(all.slice(0, limit))
    expect(await keys(db.scan({ gt: key(10), lte: key(2000), limit: 700 }))).toEqual(all.slice(11, 711))
    await db.close()
  })

  it('returns exactly the state when the scan started, however writes land between steps', async () => {
    const db = await store(2000)
    const seen: string[] = []
    let step = 0
    for await (const [k, value] of db.scan()) {
      seen.push(`${text(k)}=${text(value)}`)
      step++
      // Writes between steps, including inside the batch already read: new keys after and before
      // the position, overwrites, and deletes of keys not yet returned (odd ones from 1500 up).
      if (step % 37 === 0) await db.put(`${key(step * 3)}x`, 'vnew0')
      if (step % 41 === 0) await db.put(key(step + 20), 'overwritten')
      if (step === 100) await db.batch(Array.from({ length: 250 }, (_, i) => ({ type: 'del' as const, key: key(1501 + 2 * i) })))
      if (step === 700) await db.checkpoint()
    }
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, index) => `${key(index)}=v${index}`))
    expect(db.stats().snapshots).toEqual({ open: [], retainedPages: 0 })
    expect((await db.check()).ok).toBe(true)
    await db.close()
  })

  it('stops early without reading further, and refuses to go on after the store is closed', async () => {
    const db = await store(1000)
    let taken = 0
    for await (const _ of db.scan()) if (++taken === 3) break
    expect(taken).toBe(3)
    const iterator = db.scan()[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    await db.close()
    const error = await iterator.next().then(() => undefined, (e: unknown) => e)
    expect(TinyDbError.isInstance(error) && error.code).toBe('CLOSED')
    expect((await iterator.next()).done).toBe(true)
  })
})
