import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { MAX_VALUE_SIZE, open, type Db } from '../src/index.js'

const SEED = 31
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes))

async function entries(iterable: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of iterable) out.push(`${text(k)}=${text(v)}`)
  return out
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  )
}

function codeOf(error: unknown): string {
  return TinyDbError.isInstance(error) ? error.code : `not a TinyDbError: ${String(error)}`
}

async function store(vfs = new SimVfs({ seed: SEED })): Promise<Db> {
  const db = await open('/db', { vfs })
  await db.batch(['a', 'b', 'c', 'd'].map((key) => ({ type: 'put' as const, key, value: `${key}0` })))
  return db
}

describe(`transactions (seed ${SEED})`, () => {
  it('commits all its writes as one durable log record and returns the callback result', async () => {
    const vfs = new SimVfs({ seed: SEED })
    const db = await store(vfs)
    const before = db.stats().wal.nextLsn
    const result = await db.transaction((tx) => {
      tx.put('b', 'b1')
      tx.del('c')
      tx.put('e', 'e1')
      tx.put('b', 'b2') // the last write to a key wins
      return 42
    })
    expect(result).toBe(42)
    expect(db.stats().wal.nextLsn).toBe(before + 1)
    expect(await entries(db.scan())).toEqual(['a=a0', 'b=b2', 'd=d0', 'e=e1'])
    expect(db.stats().writes.transactions).toBe(1)
    // Durable when the promise resolved: a crash that loses every unsynced write keeps it.
    vfs.crash({ mode: 'drop' })
    const reopened = await open('/db', { vfs: vfs.clone() })
    expect(await entries(reopened.scan())).toEqual(['a=a0', 'b=b2', 'd=d0', 'e=e1'])
    await reopened.close()
  })

  it('reads its own writes over the state it started from: get, and scans both ways with ranges and limits', async () => {
    const db = await store()
    await db.transaction(async (tx) => {
      expect(text(await tx.get('b'))).toBe('b0')
      tx.put('b', 'b1')
      tx.del('c')
      tx.put('aa', 'new')
      tx.del('zz') // deleting a missing key is fine
      expect([text(tx.getSync('b')), text(tx.getSync('c')), text(tx.getSync('aa'))]).toEqual(['b1', undefined, 'new'])
      expect(await entries(tx.scan())).toEqual(['a=a0', 'aa=new', 'b=b1', 'd=d0'])
      expect(await entries(tx.scan({ reverse: true }))).toEqual(['d=d0', 'b=b1', 'aa=new', 'a=a0'])
      expect(await entries(tx.scan({ gt: 'a', lt: 'd', limit: 2 }))).toEqual(['aa=new', 'b=b1'])
      expect(await entries(tx.scan({ gte: 'b', reverse: true }))).toEqual(['d=d0', 'b=b1'])
      // Outside the transaction nothing has changed yet.
      expect(text(db.getSync('b'))).toBe('b0')
    })
    expect(await entries(db.scan())).toEqual(['a=a0', 'aa=new', 'b=b1', 'd=d0'])
    await db.close()
  })

  it('writes nothing when the callback throws, and the error propagates', async () => {
    const db = await store()
    const before = db.stats().wal.nextLsn
    const failure = new Error('changed my mind')
    const error = await errorOf(
      db.transaction(async (tx) => {
        tx.put('a', 'lost')
        tx.del('b')
        await Promise.resolve()
        throw failure
      }),
    )
    expect(error).toBe(failure)
    expect(db.stats().wal.nextLsn).toBe(before)
    expect(await entries(db.scan())).toEqual(['a=a0', 'b=b0', 'c=c0', 'd=d0'])
    // The store takes writes and transactions as before.
    await db.transaction((tx) => tx.put('a', 'a1'))
    expect(text(db.getSync('a'))).toBe('a1')
    await db.close()
  })

  it('refuses bad input with typed errors and writes nothing', async () => {
    const db = await store()
    const before = db.stats().wal.nextLsn
    expect(codeOf(await errorOf(db.transaction(undefined as never)))).toBe('INVALID_ARGUMENT')
    expect(codeOf(await errorOf(db.transaction((tx) => tx.put(7 as never, 'x'))))).toBe('INVALID_ARGUMENT')
    expect(codeOf(await errorOf(db.transaction((tx) => tx.put('k', new Uint8Array(MAX_VALUE_SIZE + 1)))))).toBe('TOO_LARGE')
    // Each value fits, the record does not: refused at commit, as a whole.
    const big = new Uint8Array(MAX_VALUE_SIZE)
    const tooMuch = db.transaction((tx) => {
      for (let i = 0; i < 5; i++) tx.put(`big${i}`, big)
    })
    expect(codeOf(await errorOf(tooMuch))).toBe('TOO_LARGE')
    expect(db.stats().wal.nextLsn).toBe(before)
    expect(await entries(db.scan())).toEqual(['a=a0', 'b=b0', 'c=c0', 'd=d0'])
    await db.close()
  })

  it('is unusable once its callback has settled (CLOSED)', async () => {
    const db = await store()
    let leaked: Parameters<Parameters<Db['transaction']>[0]>[0] | undefined
    const scan = await db.transaction((tx) => {
      leaked = tx
      return tx.scan()[Symbol.asyncIterator]()
    })
    for (const call of [() => leaked!.put('x', 'y'), () => leaked!.del('a'), () => leaked!.getSync('a'), () => leaked!.scan()]) {
      expect(codeOf((() => { try { call() } catch (error) { return error } })())).toBe('CLOSED')
    }
    expect(codeOf(await errorOf(scan.next()))).toBe('CLOSED')
    await db.close()
  })

  it('an empty transaction writes no log record', async () => {
    const db = await store()
    const before = db.stats().wal.nextLsn
    expect(await db.transaction(async (tx) => text(await tx.get('a')))).toBe('a0')
    expect(db.stats().wal.nextLsn).toBe(before)
    await db.close()
  })

  it('runs transactions one at a time in arrival order: read-modify-write never loses an update', async () => {
    const db = await store()
    await db.put('counter', '0')
    const order: number[] = []
    const increments = Array.from({ length: 40 }, (_, index) =>
      db.transaction(async (tx) => {
        order.push(index)
        const value = Number(text(await tx.get('counter')))
        await new Promise((resolve) => setImmediate(resolve)) // let everything else run meanwhile
        tx.put('counter', String(value + 1))
      }),
    )
    await Promise.all(increments)
    expect(text(db.getSync('counter'))).toBe('40')
    expect(order).toEqual(Array.from({ length: 40 }, (_, index) => index))
    await db.close()
  })

  it('plain writes wait for a running transaction and land after it; readers do not wait', async () => {
    const db = await store()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const events: string[] = []
    const transaction = db.transaction(async (tx) => {
      events.push('tx start')
      tx.put('a', 'from tx')
      await held
      expect(text(tx.getSync('b'))).toBe('b0') // the put below has not happened
      events.push('tx end')
    })
    await new Promise((resolve) => setImmediate(resolve))
    const put = db.put('b', 'from put').then(() => events.push('put done'))
    const putA = db.put('a', 'after tx').then(() => events.push('put a done'))
    await new Promise((resolve) => setImmediate(resolve))
    // Reads go on while the transaction holds the store.
    expect([text(db.getSync('a')), text(db.getSync('b'))]).toEqual(['a0', 'b0'])
    events.push('read')
    release()
    await Promise.all([transaction, put, putA])
    expect(events).toEqual(['tx start', 'read', 'tx end', 'put done', 'put a done'])
    expect([text(db.getSync('a')), text(db.getSync('b'))]).toEqual(['after tx', 'from put'])
    await db.close()
  })

  it('close waits for a running transaction to commit', async () => {
    const vfs = new SimVfs({ seed: SEED })
    const db = await store(vfs)
    const transaction = db.transaction(async (tx) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      tx.put('late', 'yes')
    })
    await new Promise((resolve) => setImmediate(resolve))
    await db.close()
    await transaction
    const reopened = await open('/db', { vfs })
    expect(text(reopened.getSync('late'))).toBe('yes')
    await reopened.close()
  })
})
