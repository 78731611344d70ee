import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TinyLevel } from '../src/index.js'

/**
 * Snapshots through the Level API: the implicit one each iterator (and clear) takes when created,
 * explicit ones (`db.snapshot()`) held while writers change the store, and iterator abort signals.
 */

const SEED = Number(process.env['TINYLEVEL_SNAPSHOT_SEED'] ?? 20261127)

let root: string
const opened: TinyLevel<unknown, unknown>[] = []

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tinylevel-snapshots-'))
})

afterEach(async () => {
  for (const db of opened.splice(0)) await db.close()
  await rm(root, { recursive: true, force: true })
})

function level(name = 'db', options: ConstructorParameters<typeof TinyLevel<string, string>>[1] = {}): TinyLevel<string, string> {
  const db = new TinyLevel<string, string>(join(root, name), { walSegmentSize: 64 * 1024, ...options })
  opened.push(db as TinyLevel<unknown, unknown>)
  return db
}

/** mulberry32: small, seeded, deterministic. */
function prng(seed: number): (below: number) => number {
  let state = seed >>> 0
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below) >>> 0
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

const sorted = (model: Map<string, string>): [string, string][] => [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

describe('implicit snapshots', () => {
  it('an iterator reads the store as it was when it was created, also after a seek', async () => {
    const db = level()
    await db.batch(['a', 'c', 'e'].map((key) => ({ type: 'put' as const, key, value: key })))
    const iterator = db.iterator()
    const keys = db.keys({ reverse: true })
    // Written after the iterators were created, before their first read.
    await db.put('b', 'b')
    await db.del('c')
    await db.put('e', 'E')
    expect(await iterator.next()).toEqual(['a', 'a'])
    await db.put('d', 'd')
    expect(await iterator.all()).toEqual([
      ['c', 'c'],
      ['e', 'e'],
    ])
    expect(await keys.next()).toBe('e')
    keys.seek('d')
    expect(await keys.all()).toEqual(['c', 'a'])
    expect(await db.iterator().all()).toEqual([
      ['a', 'a'],
      ['b', 'b'],
      ['d', 'd'],
      ['e', 'E'],
    ])
  })

  it('an open iterator holds one engine snapshot, released when it closes', async () => {
    const db = level()
    await db.put('a', '1')
    const iterator = db.values()
    expect(db.engine.stats().snapshots.open.map(({ kind }) => kind)).toEqual(['snapshot'])
    expect(await iterator.next()).toBe('1')
    await iterator.close()
    expect(db.engine.stats().snapshots.open).toEqual([])
    await db.keys().all() // all() closes its iterator
    expect(db.engine.stats().snapshots.open).toEqual([])
  })

  it('clear() deletes the range as it was when it started: a key written meanwhile survives', async () => {
    const db = level()
    const keys = Array.from({ length: 2600 }, (_, i) => `k${String(i).padStart(4, '0')}`)
    await db.batch(keys.map((key) => ({ type: 'put' as const, key, value: 'v' })))
    // More than two delete batches of the clear: the put lands while it runs.
    const clearing = db.clear({ gte: 'k', lt: 'l' })
    const writing = db.put('k1234x', 'new')
    await Promise.all([clearing, writing])
    expect(await db.iterator().all()).toEqual([['k1234x', 'new']])
    expect(db.engine.stats().snapshots.open).toEqual([])
  })
})

describe('explicit snapshots', () => {
  it(`stay consistent while concurrent writers change the store and checkpoints run (seed ${SEED})`, async () => {
    const random = prng(SEED)
    // Small pages and an early checkpoint threshold: the writers free and reuse many pages while
    // the snapshot must keep the ones it reads. No fdatasync: durability is not what is tested here.
    const db = level('db', { pageSize: 1024, checkpointThreshold: 32 * 1024, durability: 'none' })
    const users = db.sublevel('users')
    const key = (writer: number, n: number) => `w${writer}:${String(n).padStart(3, '0')}`
    const value = (length: number) => String.fromCharCode(97 + random(26)).repeat(length)
    const WRITERS = 4
    const KEYS = 120

    const model = new Map<string, string>()
    const initial = []
    for (let writer = 0; writer < WRITERS; writer++) {
      for (let n = 0; n < KEYS; n += 2) {
        const v = value(1 + random(random(8) === 0 ? 1500 : 40))
        initial.push({ type: 'put' as const, key: key(writer, n), value: v })
        model.set(key(writer, n), v)
      }
    }
    await db.batch(initial)
    await users.put('ada', 'Ada')
    model.set('!users!ada', 'Ada')

    const snapshot = db.snapshot()
    const frozen = new Map(model)
    const slow = db.iterator({ snapshot, gte: 'w1', lt: 'w3' }) // read a little at a time below

    // Each writer owns its keys, so the final state does not depend on how the writers interleave.
    const live = new Map(model)
    const writer = async (id: number, ops: number) => {
      const rng = prng(SEED + id)
      for (let i = 0; i < ops; i++) {
        const k = key(id, rng(KEYS))
        const roll = rng(4)
        if (roll === 0) {
          await db.del(k)
          live.delete(k)
        } else if (roll === 1) {
          const batch = Array.from({ length: 1 + rng(20) }, () => ({ type: 'put' as const, key: key(id, rng(KEYS)), value: `b${i}`.repeat(1 + rng(60)) }))
          await db.batch(batch)
          for (const op of batch) live.set(op.key, op.value)
        } else {
          const v = `p${i}`.repeat(1 + rng(rng(8) === 0 ? 400 : 10))
          await db.put(k, v)
          live.set(k, v)
        }
      }
    }
    let writing = true
    const writers = Promise.all([
      ...Array.from({ length: WRITERS }, (_, id) => writer(id, 150)),
      users.del('ada').then(() => live.delete('!users!ada')),
      db.engine.checkpoint(),
    ]).finally(() => (writing = false))

    // Read through the snapshot while the writes are in flight (and once more after they end).
    const frozenEntries = sorted(frozen)
    const slowWanted = frozenEntries.filter(([k]) => k >= 'w1' && k < 'w3')
    const slowRead: [string, string][] = []
    let rounds = 0
    do {
      rounds++
      const probe = key(random(WRITERS), random(KEYS))
      expect(await db.get(probe, { snapshot }), `round ${rounds}: get ${probe}`).toBe(frozen.get(probe))
      expect(db.getSync(probe, { snapshot })).toBe(frozen.get(probe))
      expect(await db.has(probe, { snapshot })).toBe(frozen.has(probe))
      const probes = Array.from({ length: 5 }, () => key(random(WRITERS), random(KEYS)))
      expect(await db.getMany(probes, { snapshot })).toEqual(probes.map((k) => frozen.get(k)))
      expect(await users.get('ada', { snapshot })).toBe('Ada')
      const from = key(random(WRITERS), random(KEYS))
      const reverse = random(2) === 0
      const wanted = frozenEntries.filter(([k]) => (reverse ? k <= from : k >= from))
      if (reverse) wanted.reverse()
      expect(await db.iterator({ snapshot, ...(reverse ? { lte: from } : { gte: from }), reverse, limit: 30 }).all(), `round ${rounds}: range from ${from}`).toEqual(
        wanted.slice(0, 30),
      )
      slowRead.push(...(await slow.nextv(3)))
      await new Promise((resolve) => setImmediate(resolve))
    } while (writing)
    await writers
    expect(rounds).toBeGreaterThan(1) // the reads above did overlap the writes

    // The writes happened, and the snapshot did not see them.
    expect(await db.iterator().all()).toEqual(sorted(live))
    expect(sorted(live)).not.toEqual(frozenEntries)
    expect(await db.iterator({ snapshot }).all()).toEqual(frozenEntries)
    slowRead.push(...(await slow.all()))
    expect(slowRead).toEqual(slowWanted)
    expect(await users.get('ada')).toBeUndefined()

    // Holding the snapshot kept the pages it reads from reuse; closing it gives them back.
    expect(db.engine.stats().snapshots.retainedPages).toBeGreaterThan(0)
    expect((await db.engine.check()).ok).toBe(true)
    await snapshot.close()
    expect(db.engine.stats().snapshots.open).toEqual([])
    expect((await rejection(db.get('w0:000', { snapshot }))).code).toBe('LEVEL_SNAPSHOT_NOT_OPEN')
    expect((await rejection(db.iterator({ snapshot }).next())).code).toBe('LEVEL_SNAPSHOT_NOT_OPEN')
  })

  it('a sublevel snapshot reads the whole store as of its creation, and clear() can use one', async () => {
    const db = level()
    const sub = db.sublevel('sub')
    await sub.batch([
      { type: 'put', key: 'a', value: '1' },
      { type: 'put', key: 'b', value: '2' },
    ])
    const snapshot = sub.snapshot()
    await sub.put('c', '3')
    await db.put('top', 'x')
    expect(await sub.keys({ snapshot }).all()).toEqual(['a', 'b'])
    expect(await db.get('top', { snapshot })).toBeUndefined()
    // Deletes what the snapshot holds in the range; 'c' came later and stays.
    await sub.clear({ snapshot })
    expect(await sub.iterator().all()).toEqual([['c', '3']])
    await snapshot.close()
  })

  it('refuses a snapshot of another database', async () => {
    const one = level('one')
    const other = level('other')
    await Promise.all([one.open(), other.open()])
    const snapshot = other.snapshot()
    expect((await rejection(one.get('a', { snapshot }))).code).toBe('LEVEL_INVALID_VALUE')
    expect((await rejection(one.iterator({ snapshot }).next())).code).toBe('LEVEL_INVALID_VALUE')
    await snapshot.close()
  })

  it('closing the database closes its snapshots', async () => {
    const db = level()
    await db.put('a', '1')
    const snapshot = db.snapshot()
    await db.close()
    await db.open()
    expect((await rejection(db.get('a', { snapshot }))).code).toBe('LEVEL_SNAPSHOT_NOT_OPEN')
    expect(db.engine.stats().snapshots.open).toEqual([])
  })
})

describe('iterator abort signals', () => {
  it('abort a long read in progress with LEVEL_ABORTED', async () => {
    const db = level()
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(4, '0')}`, value: 'v' })))
    const controller = new AbortController()
    const iterator = db.keys({ signal: controller.signal })
    const reading = iterator.all()
    // Runs when the read first gives the event loop a turn, before it has read everything.
    setImmediate(() => controller.abort())
    const error = await rejection(reading)
    expect(error.code).toBe('LEVEL_ABORTED')
    expect(error.name).toBe('AbortError')
    expect((await rejection(iterator.next())).code).toBe('LEVEL_ITERATOR_NOT_OPEN') // all() closed it
  })

  it('leave reads alone while the signal is not aborted', async () => {
    const db = level()
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(4, '0')}`, value: 'v' })))
    const controller = new AbortController()
    expect(await db.keys({ signal: controller.signal }).all()).toHaveLength(3000)
  })
})
