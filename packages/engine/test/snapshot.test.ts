import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { open } from '../src/index.js'

const SEED = 41
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes))
const key = (index: number) => `k${String(index).padStart(5, '0')}`

async function count(iterable: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const _ of iterable) n++
  return n
}

describe(`db.snapshot (seed ${SEED})`, () => {
  it('reports each open snapshot with its age and the pages it keeps, and frees them on close', async () => {
    const db = await open('/db', { vfs: new SimVfs({ seed: SEED }), pageSize: 512 })
    await db.batch(Array.from({ length: 2000 }, (_, index) => ({ type: 'put' as const, key: key(index), value: `v${index}` })))
    await db.checkpoint()
    const snapshot = db.snapshot()
    expect(db.stats().snapshots.open).toEqual([{ id: 1, kind: 'snapshot', ageMs: expect.any(Number), retainedPages: 0 }])
    // Rewrite everything twice, checkpointing: every old page is freed, and the snapshot keeps them.
    for (const round of [1, 2]) {
      await db.batch(Array.from({ length: 2000 }, (_, index) => ({ type: 'put' as const, key: key(index), value: `r${round}-${index}` })))
      await db.checkpoint()
    }
    const [info] = db.stats().snapshots.open
    expect(info!.retainedPages).toBeGreaterThan(50)
    expect(db.stats().snapshots.retainedPages).toBe(info!.retainedPages)
    expect([text(snapshot.getSync(key(7))), text(db.getSync(key(7)))]).toEqual(['v7', 'r2-7'])
    expect(await count(snapshot.scan())).toBe(2000)
    expect((await db.check()).problems).toEqual([])
    const pagesWhileOpen = db.stats().pageCount
    snapshot.close()
    snapshot.close()
    expect(db.stats().snapshots).toEqual({ open: [], retainedPages: 0 })
    // What it held is reused: another full rewrite does not grow the file.
    await db.batch(Array.from({ length: 2000 }, (_, index) => ({ type: 'put' as const, key: key(index), value: `r3-${index}` })))
    await db.checkpoint()
    expect(db.stats().pageCount).toBeLessThanOrEqual(pagesWhileOpen)
    expect((await db.check()).problems).toEqual([])
    await db.close()
  })

  it('a scan in progress shows as a snapshot of kind scan; breaking out of it releases it', async () => {
    const db = await open('/db', { vfs: new SimVfs({ seed: SEED }) })
    await db.batch(Array.from({ length: 100 }, (_, index) => ({ type: 'put' as const, key: key(index), value: 'v' })))
    for await (const _ of db.scan()) {
      expect(db.stats().snapshots.open.map((info) => info.kind)).toEqual(['scan'])
      break
    }
    expect(db.stats().snapshots.open).toEqual([])
    const iterator = db.scan({ limit: 3 })[Symbol.asyncIterator]()
    while (!(await iterator.next()).done);
    expect(db.stats().snapshots.open).toEqual([])
    await db.close()
  })

  it('is closed with its store: reads then throw CLOSED, and the store reopens clean', async () => {
    const vfs = new SimVfs({ seed: SEED })
    const db = await open('/db', { vfs })
    await db.put('a', '1')
    const snapshot = db.snapshot()
    const scan = snapshot.scan()[Symbol.asyncIterator]()
    await db.put('a', '2')
    await db.close()
    for (const read of [() => snapshot.getSync('a'), () => snapshot.scan()]) {
      const error = (() => {
        try {
          read()
        } catch (caught) {
          return caught
        }
      })()
      expect(TinyDbError.isInstance(error) && error.code).toBe('CLOSED')
    }
    await expect(scan.next()).rejects.toMatchObject({ code: 'CLOSED' })
    snapshot.close()
    const reopened = await open('/db', { vfs })
    expect(text(reopened.getSync('a'))).toBe('2')
    expect((await reopened.check()).problems).toEqual([])
    await reopened.close()
  })

  it('check() verifies the store as of its start while writes go on, reporting its progress', async () => {
    const db = await open('/db', { vfs: new SimVfs({ seed: SEED }), pageSize: 512, checkpointThreshold: 16 * 1024 })
    await db.batch(Array.from({ length: 3000 }, (_, index) => ({ type: 'put' as const, key: key(index), value: `v${index}`.padEnd(300, '.') })))
    await db.checkpoint()
    await db.batch(Array.from({ length: 300 }, (_, index) => ({ type: 'put' as const, key: key(index * 7), value: 'in the log' })))
    const progress: string[] = []
    let writes = 0
    const checking = db.check({ onProgress: ({ phase, done, total }) => progress.push(`${phase} ${done}/${total} w${writes}`) })
    // Writers rewrite and checkpoint while the check walks: it yields every few hundred pages.
    const writer = (async () => {
      for (let round = 0; round < 40; round++) {
        await db.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, key: key((round * 50 + i) % 3000), value: `w${round}` })))
        writes++
        if (round % 10 === 9) await db.checkpoint()
      }
    })()
    const report = await checking
    await writer
    expect(report.problems).toEqual([])
    // The check yielded several times, and writes and checkpoints landed in between.
    const pages = progress.filter((line) => line.startsWith('pages'))
    expect(pages.length).toBeGreaterThan(2)
    expect(pages.some((line) => !line.endsWith(' w0'))).toBe(true)
    const [done, total] = pages.at(-1)!.split(' ')[1]!.split('/').map(Number)
    expect(done).toBe(total)
    // The log phase checks the log as it is when that phase runs (checkpoints may have trimmed it).
    expect(progress.at(-1)!.startsWith(`log ${report.walRecordsChecked}/${report.walRecordsChecked} `)).toBe(true)
    expect(db.stats().snapshots.open).toEqual([])
    expect((await db.check()).problems).toEqual([])
    await db.close()
  })
})
