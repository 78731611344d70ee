import { describe, expect, it } from 'vitest'
import { SimCrashError, SimVfs, TinyDbError, type FaultOperation, type VfsFile } from '../src/index.js'
import { bytes, caught, put, slurp } from './helpers.js'

async function machine(): Promise<SimVfs> {
  const vfs = new SimVfs({ seed: 3 })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  return vfs
}

const RECORD = 8
const RECORDS = 4

/** A tiny log: create, syncDir, then RECORDS x (write, sync). Returns the open file. */
async function logWorkload(vfs: SimVfs): Promise<VfsFile> {
  const file = await vfs.open('/db/log', { create: true })
  await vfs.syncDir('/db')
  for (let i = 0; i < RECORDS; i++) {
    await file.write(new Uint8Array(RECORD).fill(i + 1), i * RECORD)
    await file.sync()
  }
  return file
}

function ioCode(error: unknown): unknown {
  return TinyDbError.isInstance(error) ? [error.code, (error.cause as { code?: unknown } | undefined)?.code] : error
}

describe('SimVfs operation counting and crash points', () => {
  it('counts state-changing operations only', async () => {
    const vfs = new SimVfs()
    await vfs.mkdir('/db') // 1
    const file = await vfs.open('/db/f', { create: true }) // 2: creates
    await (await vfs.open('/db/f', { create: true })).close() // opens an existing file: not counted
    await file.write(bytes('x'), 0) // 3
    await file.truncate(4) // 4
    await file.sync() // 5
    await vfs.syncDir('/db') // 6
    await vfs.rename('/db/f', '/db/g') // 7
    file.readSync(new Uint8Array(1), 0)
    await file.read(new Uint8Array(1), 0)
    await file.size()
    await vfs.exists('/db/g')
    await vfs.readdir('/db')
    await (await vfs.lock('/db/LOCK')).release()
    await vfs.unlink('/db/g') // 8
    expect(vfs.operationCount).toBe(8)
  })

  it('crashes at every operation of a workload; each crash image holds exactly the records synced before it', async () => {
    const counting = await machine()
    const start = counting.operationCount
    await logWorkload(counting)
    const total = counting.operationCount - start
    expect(total).toBe(2 + 2 * RECORDS)
    for (let n = 1; n <= total; n++) {
      const vfs = await machine()
      vfs.crashAtOperation(n)
      const error = await caught(() => logWorkload(vfs))
      expect(SimCrashError.isInstance(error)).toBe(true)
      expect(error instanceof TinyDbError).toBe(false)
      expect(vfs.halted).toBe(true)
      // Operation n was not performed: records written before it are visible, its own is not.
      const writesBefore = n <= 2 ? 0 : Math.floor((n - 2) / 2)
      if (n > 1) expect(vfs.fileSize('/db/log')).toBe(writesBefore * RECORD)
      // Everything refuses now, reads included.
      for (const action of [
        () => vfs.exists('/db/log'),
        () => vfs.readdir('/db'),
        () => vfs.open('/db/log'),
        () => vfs.mkdir('/x'),
        () => vfs.lock('/db/LOCK'),
      ]) {
        expect(SimCrashError.isInstance(await caught(action))).toBe(true)
      }
      vfs.crash()
      expect(vfs.halted).toBe(false)
      const syncsBefore = n <= 2 ? 0 : Math.floor((n - 3) / 2)
      const survives = n > 2 // the file exists durably once syncDir (operation 2) ran
      expect(await vfs.exists('/db/log')).toBe(survives)
      if (survives) {
        const expected = new Uint8Array(syncsBefore * RECORD).map((_, i) => Math.floor(i / RECORD) + 1)
        expect([...vfs.readDurable('/db/log')]).toEqual([...expected])
      }
    }
  })

  it('halts handle operations too, then lets the rebooted machine run', async () => {
    const vfs = await machine()
    const file = await vfs.open('/db/f', { create: true })
    vfs.crashAtOperation(2)
    await file.write(bytes('a'), 0)
    expect(SimCrashError.isInstance(await caught(() => file.sync()))).toBe(true)
    expect(SimCrashError.isInstance(await caught(() => file.readSync(new Uint8Array(1), 0)))).toBe(true)
    expect(SimCrashError.isInstance(await caught(() => file.close()))).toBe(true)
    vfs.crash()
    await put(vfs, '/db/f', 'after', { sync: true })
    expect(await slurp(vfs, '/db/f')).toBe('after')
  })

  it('counts the crash point from now', async () => {
    const vfs = await machine()
    const before = vfs.operationCount
    vfs.crashAtOperation(1)
    expect(SimCrashError.isInstance(await caught(() => vfs.mkdir('/y')))).toBe(true)
    expect(vfs.operationCount).toBe(before + 1)
    expect((await caught(() => vfs.crashAtOperation(0)) as TinyDbError).code).toBe('INVALID_ARGUMENT')
  })
})

describe('SimVfs fault injection', () => {
  it('fails matching writes with IO/EIO after skipping afterMatches, times times, changing nothing', async () => {
    const vfs = await machine()
    vfs.injectFault({ operation: 'write', path: /log$/, error: 'EIO', afterMatches: 1 })
    const other = await vfs.open('/db/other', { create: true })
    const log = await vfs.open('/db/log', { create: true })
    await other.write(bytes('fine'), 0)
    await log.write(bytes('one'), 0)
    const error = await caught(() => log.write(bytes('two'), 3))
    expect(ioCode(error)).toEqual(['IO', 'EIO'])
    expect((error as Error).message).toBe('write failed on /db/log: EIO')
    expect(vfs.fileSize('/db/log')).toBe(3)
    await log.write(bytes('two'), 3)
    expect(await slurp(vfs, '/db/log')).toBe('onetwo')
  })

  it('keeps a permanent fault until clearFaults, and across crashes', async () => {
    const vfs = await machine()
    vfs.injectFault({ operation: 'write', error: 'ENOSPC', times: Infinity })
    const file = await vfs.open('/db/f', { create: true })
    for (let i = 0; i < 3; i++) expect(ioCode(await caught(() => file.write(bytes('x'), 0)))).toEqual(['IO', 'ENOSPC'])
    vfs.crash()
    const again = await vfs.open('/db/f', { create: true })
    expect(ioCode(await caught(() => again.write(bytes('x'), 0)))).toEqual(['IO', 'ENOSPC'])
    vfs.clearFaults()
    await again.write(bytes('x'), 0)
  })

  it('injects into every kind of operation', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'data')
    const cases: Array<[FaultOperation, string, () => unknown]> = [
      ['read', '/db/f', () => file.readSync(new Uint8Array(1), 0)],
      ['read', '/db/f', () => file.read(new Uint8Array(1), 0)],
      ['truncate', '/db/f', () => file.truncate(0)],
      ['sync', '/db/f', () => file.sync()],
      ['open', '/db/f', () => vfs.open('/db/f')],
      ['rename', '/db/f', () => vfs.rename('/db/g', '/db/f')], // a rename matches on either path
      ['unlink', '/db/f', () => vfs.unlink('/db/f')],
      ['syncDir', '/db', () => vfs.syncDir('/db')],
    ]
    for (const [operation, path, action] of cases) {
      vfs.injectFault({ operation, path, error: 'EIO' })
      expect([operation, ioCode(await caught(action))]).toEqual([operation, ['IO', 'EIO']])
    }
    expect(await slurp(vfs, '/db/f')).toBe('data')
  })

  it('after a failed fsync, the unflushed writes are lost for good, even if a later fsync succeeds', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'base', { sync: true })
    await vfs.syncDir('/db')
    await file.write(bytes('LOST'), 0)
    vfs.injectFault({ operation: 'sync', error: 'EIO' })
    expect(ioCode(await caught(() => file.sync()))).toEqual(['IO', 'EIO'])
    expect(await slurp(vfs, '/db/f')).toBe('LOST') // still readable (clean in the page cache)
    await file.sync() // the retry "succeeds"
    await file.write(bytes('!'), 4)
    await file.sync()
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('base!')
  })

  it('a failed syncDir leaves the namespace change volatile', async () => {
    const vfs = await machine()
    await put(vfs, '/db/f', 'data', { sync: true })
    vfs.injectFault({ operation: 'syncDir', path: '/db', error: 'EIO' })
    expect(ioCode(await caught(() => vfs.syncDir('/db')))).toEqual(['IO', 'EIO'])
    vfs.crash()
    expect(await vfs.exists('/db/f')).toBe(false)
  })

  it('rejects malformed fault specs', async () => {
    const vfs = new SimVfs()
    for (const spec of [
      { operation: 'write', error: 'EIO', times: 0 },
      { operation: 'write', error: 'EIO', afterMatches: -1 },
      { operation: 'fsync', error: 'EIO' },
      { operation: 'write', error: 'EPERM' },
    ]) {
      const error = await caught(() => vfs.injectFault(spec as Parameters<SimVfs['injectFault']>[0]))
      expect(TinyDbError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('SimVfs damage at rest, inspection and clone', () => {
  it('flipBit, overwrite and zero change the platter and what reads see', async () => {
    const vfs = await machine()
    await put(vfs, '/db/f', 'abcdef', { sync: true })
    await vfs.syncDir('/db')
    vfs.flipBit('/db/f', 0, 1) // 'a' (0x61) -> 'c' (0x63)
    vfs.overwrite('/db/f', 2, bytes('XY'))
    vfs.zero('/db/f', 5, 1)
    expect(await slurp(vfs, '/db/f')).toBe('cbXYe\0')
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('cbXYe\0')
    for (const action of [() => vfs.flipBit('/db/f', 6, 0), () => vfs.zero('/db/f', 4, 3), () => vfs.flipBit('/db/f', 0, 8)]) {
      expect((await caught(action) as TinyDbError).code).toBe('INVALID_ARGUMENT')
    }
  })

  it('listDurable and readDurable show the platter, not the page cache', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'v1', { sync: true })
    await vfs.syncDir('/db')
    await file.write(bytes('v2'), 0)
    await put(vfs, '/db/new', 'x')
    expect(vfs.listDurable()).toEqual(['/db/', '/db/f'])
    expect(vfs.readDurable('/db/f')).toEqual(bytes('v1'))
    expect(ioCode(await caught(() => vfs.readDurable('/db/new')))).toEqual(['IO', 'ENOENT'])
    expect(vfs.fileSize('/db/new')).toBe(1)
  })

  it('clone copies the durable state only, and the copies are independent', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'durable', { sync: true })
    await vfs.syncDir('/db')
    await file.write(bytes('VOLATILE'), 0)
    const image = vfs.clone()
    expect(await slurp(vfs, '/db/f')).toBe('VOLATILE') // the original is untouched
    for (let attempt = 0; attempt < 3; attempt++) {
      const copy = image.clone()
      expect(await slurp(copy, '/db/f')).toBe('durable')
      const handle = await copy.open('/db/f')
      await handle.write(bytes('changed'), 0)
      await handle.sync()
      copy.flipBit('/db/f', 0, 0)
    }
    expect(await slurp(image, '/db/f')).toBe('durable')
    expect(image.listDurable()).toEqual(['/db/', '/db/f'])
    expect(image.operationCount).toBe(0)
  })
})
