import { describe, expect, it } from 'vitest'
import { SECTOR_SIZE, SimCrashError, SimVfs, TinyDbError } from '../src/index.js'
import { bytes, caught, slurp } from './helpers.js'

const SEED = 21

/** A SimVfs with a durable, empty /db/log. */
async function machine(seed = SEED): Promise<SimVfs> {
  const vfs = new SimVfs({ seed })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  await (await vfs.open('/db/log', { create: true })).close()
  await vfs.syncDir('/db')
  return vfs
}

const RECORD = 8
const RECORDS = 3

/** RECORDS blocking writes through a dsync handle: each is a write and a sync, two crash points. */
async function dsyncWorkload(vfs: SimVfs): Promise<void> {
  const file = await vfs.open('/db/log', { dsync: true })
  for (let i = 0; i < RECORDS; i++) file.writeSync(new Uint8Array(RECORD).fill(i + 1), i * RECORD)
}

describe('SimVfs writeSync', () => {
  it('counts as write does: one operation, and one more for the sync of a dsync handle', async () => {
    console.log('seed', SEED)
    const vfs = await machine()
    const plain = await vfs.open('/db/log')
    const before = vfs.operationCount
    plain.writeSync(bytes('a'), 0)
    expect(vfs.operationCount).toBe(before + 1)
    const dsync = await vfs.open('/db/log', { dsync: true })
    dsync.writeSync(bytes('b'), 1)
    expect(vfs.operationCount).toBe(before + 3)
  })

  it('makes a dsync handle’s write durable when it returns; a plain handle’s is lost by a crash', async () => {
    const vfs = await machine()
    ;(await vfs.open('/db/log')).writeSync(bytes('lost'), 0)
    expect(await slurp(vfs, '/db/log')).toBe('lost')
    vfs.crash()
    expect(await slurp(vfs, '/db/log')).toBe('')
    ;(await vfs.open('/db/log', { dsync: true })).writeSync(bytes('kept'), 0)
    vfs.crash()
    expect(await slurp(vfs, '/db/log')).toBe('kept')
  })

  it('crashes at each of its operations; the image holds exactly the records whose sync ran', async () => {
    const total = 2 * RECORDS
    for (let n = 1; n <= total; n++) {
      const vfs = await machine(SEED + n)
      vfs.crashAtOperation(n)
      const error = await caught(() => dsyncWorkload(vfs))
      expect(SimCrashError.isInstance(error)).toBe(true)
      expect(vfs.halted).toBe(true)
      // Operation n is refused: an odd n is record (n+1)/2's write, an even n its sync.
      const written = Math.floor(n / 2)
      expect(vfs.fileSize('/db/log')).toBe(written * RECORD)
      vfs.crash({ mode: 'drop' })
      const durable = Math.floor((n - 1) / 2)
      expect([...vfs.readDurable('/db/log')]).toEqual([...new Uint8Array(durable * RECORD).map((_, i) => Math.floor(i / RECORD) + 1)])
    }
  })

  it('throws an injected write fault synchronously and writes nothing', async () => {
    const vfs = await machine()
    const file = await vfs.open('/db/log', { dsync: true })
    vfs.injectFault({ operation: 'write', path: '/db/log', error: 'ENOSPC' })
    let thrown: unknown
    try {
      file.writeSync(bytes('x'), 0)
    } catch (error) {
      thrown = error
    }
    expect(TinyDbError.isInstance(thrown) && [thrown.code, (thrown.cause as { code?: string }).code]).toEqual(['IO', 'ENOSPC'])
    expect(vfs.fileSize('/db/log')).toBe(0)
  })

  it('fails on an injected sync fault of a dsync handle, and the bytes it did not flush are lost for good', async () => {
    const vfs = await machine()
    const file = await vfs.open('/db/log', { dsync: true })
    file.writeSync(bytes('kept'), 0)
    vfs.injectFault({ operation: 'sync', path: '/db/log', error: 'EIO' })
    expect(() => file.writeSync(bytes('gone'), 4)).toThrow(/EIO/)
    // Readable until the crash (the page cache has it), but a later good sync does not write it.
    expect(await slurp(vfs, '/db/log')).toBe('keptgone')
    await file.sync()
    vfs.crash()
    expect(await slurp(vfs, '/db/log')).toBe('kept')
  })

  it("is torn like write by a crash in its sync: 'tear' lands a subset of its sectors", async () => {
    const outcomes = new Set<string>()
    for (let seed = 1; seed <= 30; seed++) {
      const vfs = await machine(seed)
      const file = await vfs.open('/db/log', { dsync: true })
      vfs.crashAtOperation(2) // the write is done, its sync is not
      expect(() => file.writeSync(new Uint8Array(4 * SECTOR_SIZE).fill(7), 0)).toThrow(/simulated crash/)
      vfs.crash({ mode: 'tear' })
      const image = vfs.readDurable('/db/log')
      const sectors: string[] = []
      for (let at = 0; at < 4 * SECTOR_SIZE; at += SECTOR_SIZE) sectors.push(image[at] === 7 ? '7' : '-')
      outcomes.add(sectors.join(''))
    }
    expect(outcomes.size).toBeGreaterThan(4)
    expect([...outcomes].some((outcome) => outcome.includes('7') && outcome.includes('-'))).toBe(true)
  })
})
