import { Buffer } from 'node:buffer'
import { TinyDbError, type TinyDbErrorCode } from './errors.js'
import type { Vfs } from './vfs.js'

/** The few matchers the suite uses; vitest's `expect` (or jest's) fits. */
export interface ConformanceExpect {
  (actual: unknown): { toBe(expected: unknown): void; toEqual(expected: unknown): void }
}

/** The test functions of the runner, passed in so this module does not depend on one. */
export interface ConformanceApi {
  describe(name: string, body: () => void): unknown
  it(name: string, body: () => Promise<void>): unknown
  expect: ConformanceExpect
}

/** A fresh Vfs and an existing, empty directory on it; `cleanup` runs after each test. */
export interface VfsFixture {
  readonly vfs: Vfs
  readonly dir: string
  cleanup(): Promise<void>
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (data: Uint8Array): string => new TextDecoder().decode(data)
/** `text` in SharedArrayBuffer memory, which a Vfs may write from where it is. */
const shared = (content: string): Uint8Array => {
  const encoded = bytes(content)
  const view = new Uint8Array(new SharedArrayBuffer(encoded.length))
  view.set(encoded)
  return view
}

/**
 * The behaviour every Vfs implementation must share, so that a layer tested on SimVfs behaves the
 * same on NodeVfs. Run it with your runner's functions and a factory:
 *
 *   vfsConformance({ describe, it, expect }, async () => ({ vfs, dir, cleanup }))
 */
export function vfsConformance(t: ConformanceApi, factory: () => Promise<VfsFixture>): void {
  const { describe, expect } = t
  const it = (name: string, body: (vfs: Vfs, dir: string) => Promise<void>): void => {
    t.it(name, async () => {
      const fixture = await factory()
      try {
        await body(fixture.vfs, fixture.dir)
      } finally {
        await fixture.cleanup()
      }
    })
  }

  async function expectCode(code: TinyDbErrorCode, action: () => unknown): Promise<void> {
    let thrown: unknown
    try {
      await action()
    } catch (error) {
      thrown = error
    }
    expect(TinyDbError.isInstance(thrown) ? thrown.code : `no TinyDbError (${String(thrown)})`).toBe(code)
  }

  async function readAll(vfs: Vfs, path: string): Promise<string> {
    const file = await vfs.open(path)
    try {
      const buffer = new Uint8Array(await file.size())
      expect(await file.read(buffer, 0)).toBe(buffer.length)
      return text(buffer)
    } finally {
      await file.close()
    }
  }

  describe('Vfs conformance: files', () => {
    it('reads back what was written; a read at the end of file is short', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('0123456789'), 0)
      const buffer = new Uint8Array(16)
      expect(await file.read(buffer, 4)).toBe(6)
      expect(text(buffer.subarray(0, 6))).toBe('456789')
      expect(await file.read(buffer, 10)).toBe(0)
      expect(await file.read(buffer, 1000)).toBe(0)
      await file.close()
    })

    it('a write past the end extends the file and the gap reads as zeros', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('ab'), 0)
      await file.write(bytes('cd'), 6)
      expect(await file.size()).toBe(8)
      const buffer = new Uint8Array(8)
      expect(await file.read(buffer, 0)).toBe(8)
      expect([...buffer]).toEqual([97, 98, 0, 0, 0, 0, 99, 100])
      await file.close()
    })

    it('overwrites in place and readSync sees what read sees', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('hello world'), 0)
      await file.write(bytes('W'), 6)
      const viaAsync = new Uint8Array(11)
      const viaSync = new Uint8Array(11)
      expect(await file.read(viaAsync, 0)).toBe(11)
      expect(file.readSync(viaSync, 0)).toBe(11)
      expect(text(viaSync)).toBe('hello World')
      expect([...viaSync]).toEqual([...viaAsync])
      expect(file.readSync(new Uint8Array(4), 9)).toBe(2)
      await file.close()
    })

    it('does not keep the caller’s buffer: changing it after write changes nothing', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const buffer = bytes('abc')
      await file.write(buffer, 0)
      buffer.fill(0)
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('abc')
    })

    it('truncate shrinks, and growing again reads zeros, not the old bytes', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('abcdef'), 0)
      await file.truncate(2)
      expect(await file.size()).toBe(2)
      await file.truncate(5)
      expect(await file.size()).toBe(5)
      const buffer = new Uint8Array(5)
      expect(file.readSync(buffer, 0)).toBe(5)
      expect([...buffer]).toEqual([97, 98, 0, 0, 0])
      await file.close()
    })

    it('sync keeps the content, and a later open sees it', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('durable'), 0)
      await file.sync()
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('durable')
    })

    it('a dsync handle reads and writes like any other', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true, dsync: true })
      await file.write(bytes('durable at once'), 0)
      await file.write(bytes('D'), 0)
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('Durable at once')
    })

    it('writeSync writes like write: in place, past the end with zeros between, and keeps no buffer', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const buffer = bytes('hello world')
      expect(file.writeSync(buffer, 0)).toBe(undefined)
      buffer.fill(0)
      file.writeSync(bytes('W'), 6)
      file.writeSync(bytes('!'), 13)
      expect(await file.size()).toBe(14)
      const read = new Uint8Array(14)
      expect(file.readSync(read, 0)).toBe(14)
      expect(text(read.subarray(0, 11))).toBe('hello World')
      expect([...read.subarray(11)]).toEqual([0, 0, 33])
      await file.close()
      expect((await readAll(vfs, `${dir}/f`)).length).toBe(14)
    })

    it('writeSync on a dsync handle, mixed with write, reads back in call order', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true, dsync: true })
      file.writeSync(bytes('durable at once'), 0)
      await file.write(bytes('D'), 0)
      file.writeSync(bytes('A'), 8)
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('Durable At once')
    })

    it('writeSync throws (not rejects) IO on a closed file and INVALID_ARGUMENT for a bad position', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const thrown = (action: () => void): string => {
        try {
          action()
          return 'nothing thrown'
        } catch (error) {
          return TinyDbError.isInstance(error) ? error.code : `no TinyDbError (${String(error)})`
        }
      }
      expect(thrown(() => file.writeSync(bytes('x'), -1))).toBe('INVALID_ARGUMENT')
      expect(thrown(() => file.writeSync(bytes('x'), 1.5))).toBe('INVALID_ARGUMENT')
      expect(await file.size()).toBe(0)
      await file.close()
      expect(thrown(() => file.writeSync(bytes('x'), 0))).toBe('IO')
    })

    it('writev writes its buffers back to back, in place, as one write of their concatenation', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('..........'), 0)
      await file.writev([bytes('ab'), new Uint8Array(0), bytes('c'), bytes('def')], 2)
      expect(await file.size()).toBe(10)
      await file.writev([bytes('X')], 9)
      const buffer = new Uint8Array(10)
      expect(file.readSync(buffer, 0)).toBe(10)
      expect(text(buffer)).toBe('..abcdef.X')
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('..abcdef.X')
    })

    it('writev past the end extends the file and the gap reads as zeros', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('ab'), 0)
      await file.writev([bytes('c'), bytes('d')], 5)
      expect(await file.size()).toBe(7)
      const buffer = new Uint8Array(7)
      expect(await file.read(buffer, 0)).toBe(7)
      expect([...buffer]).toEqual([97, 98, 0, 0, 0, 99, 100])
      await file.close()
    })

    it('writev of no buffers, or of empty ones, writes nothing and leaves the size alone', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('abc'), 0)
      await file.writev([], 1)
      await file.writev([], 100)
      await file.writev([new Uint8Array(0), new Uint8Array(0)], 1)
      await file.writev([new Uint8Array(0)], 100)
      expect(await file.size()).toBe(3)
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('abc')
    })

    it('writev does not keep the caller’s buffers: changing them after it resolves changes nothing', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const buffers = [bytes('abc'), Buffer.from('def'), bytes('g')]
      await file.writev(buffers, 0)
      for (const buffer of buffers) buffer.fill(0)
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('abcdefg')
    })

    it('writev on a dsync handle reads back like write, mixed with write in call order', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true, dsync: true })
      await file.writev([bytes('durable'), bytes(' at '), bytes('once')], 0)
      await file.write(bytes('D'), 0)
      await file.writev([bytes('A')], 8)
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('Durable At once')
    })

    it('writev rejects a bad position with INVALID_ARGUMENT and a closed file with IO', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await expectCode('INVALID_ARGUMENT', () => file.writev([bytes('x')], -1))
      await expectCode('INVALID_ARGUMENT', () => file.writev([bytes('x')], 0.5))
      await expectCode('INVALID_ARGUMENT', () => file.writev([], -1))
      expect(await file.size()).toBe(0)
      await file.close()
      await expectCode('IO', () => file.writev([bytes('x')], 0))
    })

    it('two handles on one file see each other’s writes', async (vfs, dir) => {
      const first = await vfs.open(`${dir}/f`, { create: true })
      const second = await vfs.open(`${dir}/f`)
      await first.write(bytes('xyz'), 0)
      const buffer = new Uint8Array(3)
      expect(second.readSync(buffer, 0)).toBe(3)
      expect(text(buffer)).toBe('xyz')
      await first.close()
      await second.close()
    })

    it('an open handle keeps reading and writing a file after unlink', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('kept'), 0)
      await vfs.unlink(`${dir}/f`)
      expect(await vfs.exists(`${dir}/f`)).toBe(false)
      await file.write(bytes('!'), 4)
      const buffer = new Uint8Array(5)
      expect(file.readSync(buffer, 0)).toBe(5)
      expect(text(buffer)).toBe('kept!')
      await file.close()
    })

    it('open with create keeps an existing file’s content', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('keep'), 0)
      await file.close()
      const again = await vfs.open(`${dir}/f`, { create: true })
      expect(await again.size()).toBe(4)
      await again.close()
    })

    it('open of a missing file without create, or in a missing directory, throws IO', async (vfs, dir) => {
      await expectCode('IO', () => vfs.open(`${dir}/missing`))
      await expectCode('IO', () => vfs.open(`${dir}/no-such-dir/f`, { create: true }))
      expect(await vfs.exists(`${dir}/missing`)).toBe(false)
    })

    it('open of a directory throws IO', async (vfs, dir) => {
      await vfs.mkdir(`${dir}/sub`)
      await expectCode('IO', () => vfs.open(`${dir}/sub`))
    })

    it('a closed file refuses reads and writes with IO', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.close()
      await expectCode('IO', () => file.write(bytes('x'), 0))
      await expectCode('IO', () => file.read(new Uint8Array(1), 0))
      await expectCode('IO', () => file.readSync(new Uint8Array(1), 0))
    })

    it('a negative or fractional position or size is INVALID_ARGUMENT', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await expectCode('INVALID_ARGUMENT', () => file.write(bytes('x'), -1))
      await expectCode('INVALID_ARGUMENT', () => file.read(new Uint8Array(1), 0.5))
      await expectCode('INVALID_ARGUMENT', () => file.readSync(new Uint8Array(1), -1))
      await expectCode('INVALID_ARGUMENT', () => file.truncate(-5))
      expect(await file.size()).toBe(0)
      await file.close()
    })
  })

  describe('Vfs conformance: queueDurable', () => {
    it('writes each buffer list back to back at its position, shared memory or not, then syncs', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('..........'), 0)
      const queued = file.queueDurable([
        {
          writes: [
            { position: 2, buffers: [bytes('ab'), shared('cd'), new Uint8Array(0), Buffer.from('e')] },
            { position: 9, buffers: [shared('X')] },
          ],
        },
        { writes: [{ position: 12, buffers: [bytes('en'), bytes('d')] }] },
      ])
      expect(await queued.done).toBe('durable')
      const buffer = new Uint8Array(15)
      expect(file.readSync(buffer, 0)).toBe(15)
      expect([...buffer]).toEqual([...bytes('..abcde..X'), 0, 0, ...bytes('end')])
      await file.close()
      expect((await readAll(vfs, `${dir}/f`)).slice(0, 10)).toBe('..abcde..X')
    })

    it('writes a view at its offset inside its memory, shared or not', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const ordinary = bytes('0123456789')
      const memory = shared('abcdefghij')
      const done = file.queueDurable([{ writes: [{ position: 0, buffers: [ordinary.subarray(3, 5), memory.subarray(7, 9)] }] }]).done
      expect(await done).toBe('durable')
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('34hi')
    })

    it('runs sequences one after another in the order queued, and settles them in that order', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const settled: number[] = []
      const all = [0, 1, 2, 3, 4].map((i) => {
        const { done } = file.queueDurable([{ writes: [{ position: 0, buffers: [bytes(String(i))] }, { position: 1 + i, buffers: [bytes(String(i))] }] }])
        return done.then((result) => {
          settled.push(i)
          return result
        })
      })
      expect(await Promise.all(all)).toEqual(['durable', 'durable', 'durable', 'durable', 'durable'])
      expect(settled).toEqual([0, 1, 2, 3, 4])
      await file.close()
      expect(await readAll(vfs, `${dir}/f`)).toBe('401234')
    })

    it('grows a shorter file to minimumSize with zeros after the writes, and leaves a longer one', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.write(bytes('abc'), 0)
      expect(await file.queueDurable([{ writes: [], minimumSize: 6 }]).done).toBe('durable')
      expect(await file.size()).toBe(6)
      const steps = [
        { writes: [{ position: 0, buffers: [bytes('Z')] }], minimumSize: 2 },
        { writes: [{ position: 8, buffers: [bytes('!')] }], minimumSize: 7 },
      ]
      expect(await file.queueDurable(steps).done).toBe('durable')
      const buffer = new Uint8Array(9)
      expect(file.readSync(buffer, 0)).toBe(9)
      expect([...buffer]).toEqual([...bytes('Zbc'), 0, 0, 0, 0, 0, 33])
      await file.close()
    })

    it('an empty sequence, or a step without writes, is durable', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      expect(await file.queueDurable([]).done).toBe('durable')
      expect(await file.queueDurable([{ writes: [] }, { writes: [{ position: 0, buffers: [] }] }]).done).toBe('durable')
      expect(await file.size()).toBe(0)
      await file.close()
    })

    it('cancel withdraws a sequence none of whose I/O has started; one it cannot withdraw completes', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const large = new Uint8Array(4 << 20).fill(7)
      const first = file.queueDurable([{ writes: [{ position: 0, buffers: [large] }] }])
      const second = file.queueDurable([{ writes: [{ position: large.length, buffers: [bytes('second')] }] }])
      const cancelled = second.cancel()
      expect(second.cancel()).toBe(false) // decided once
      const third = file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('third')] }] }])
      expect(await first.done).toBe('durable')
      expect(await second.done).toBe(cancelled ? 'cancelled' : 'durable')
      expect(await third.done).toBe('durable')
      expect(third.cancel()).toBe(false) // settled
      // isDurable is true exactly for what became durable: never for a withdrawn sequence.
      expect([first.isDurable(), second.isDurable(), third.isDurable()]).toEqual([true, !cancelled, true])
      expect(await file.size()).toBe(cancelled ? large.length : large.length + 6)
      await file.close()
    })

    it('isDurable is false until the last step has synced, and true from then on', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      const queued = file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('a')] }] }, { writes: [{ position: 1, buffers: [bytes('b')] }] }])
      expect(queued.isDurable()).toBe(false) // nothing has run yet: this thread has not yielded
      expect(await queued.done).toBe('durable')
      expect(queued.isDurable()).toBe(true)
      await file.close()
    })

    it('close waits for the sequences queued before it', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      let settled = false
      const { done } = file.queueDurable([{ writes: [{ position: 0, buffers: [new Uint8Array(1 << 20).fill(65)] }] }, { writes: [{ position: 0, buffers: [bytes('z')] }] }])
      void done.then(() => (settled = true))
      await file.close()
      expect(settled).toBe(true)
      expect(await done).toBe('durable')
      const content = await readAll(vfs, `${dir}/f`)
      expect([content.length, content.slice(0, 2)]).toEqual([1 << 20, 'zA'])
    })

    it('a bad position rejects with INVALID_ARGUMENT, and every later sequence with POISONED, writing nothing', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await expectCode('INVALID_ARGUMENT', () => file.queueDurable([{ writes: [{ position: -1, buffers: [bytes('x')] }] }]).done)
      await expectCode('POISONED', () => file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('y')] }] }]).done)
      await expectCode('POISONED', () => file.queueDurable([]).done)
      expect(await file.size()).toBe(0)
      await file.close()
    })

    it('a sequence queued on a closed file rejects with IO', async (vfs, dir) => {
      const file = await vfs.open(`${dir}/f`, { create: true })
      await file.close()
      await expectCode('IO', () => file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('x')] }] }]).done)
    })
  })

  describe('Vfs conformance: directories', () => {
    it('rename replaces the target with the source', async (vfs, dir) => {
      for (const [name, content] of [['a', 'new'], ['b', 'old content']] as const) {
        const file = await vfs.open(`${dir}/${name}`, { create: true })
        await file.write(bytes(content), 0)
        await file.close()
      }
      await vfs.rename(`${dir}/a`, `${dir}/b`)
      expect(await vfs.exists(`${dir}/a`)).toBe(false)
      expect(await readAll(vfs, `${dir}/b`)).toBe('new')
      expect(await vfs.readdir(dir)).toEqual(['b'])
    })

    it('rename of a missing file throws IO', async (vfs, dir) => {
      await expectCode('IO', () => vfs.rename(`${dir}/missing`, `${dir}/b`))
    })

    it('unlink removes a file; unlink of a missing file throws IO', async (vfs, dir) => {
      await (await vfs.open(`${dir}/f`, { create: true })).close()
      await vfs.unlink(`${dir}/f`)
      expect(await vfs.exists(`${dir}/f`)).toBe(false)
      expect(await vfs.readdir(dir)).toEqual([])
      await expectCode('IO', () => vfs.unlink(`${dir}/f`))
    })

    it('readdir lists names (not paths), sorted, directories included', async (vfs, dir) => {
      for (const name of ['b', 'a', 'C', 'a10', 'a2']) await (await vfs.open(`${dir}/${name}`, { create: true })).close()
      await vfs.mkdir(`${dir}/sub`)
      expect(await vfs.readdir(dir)).toEqual(['C', 'a', 'a10', 'a2', 'b', 'sub'])
      await expectCode('IO', () => vfs.readdir(`${dir}/missing`))
    })

    it('exists sees files and directories', async (vfs, dir) => {
      await vfs.mkdir(`${dir}/sub`)
      await (await vfs.open(`${dir}/sub/f`, { create: true })).close()
      expect(await vfs.exists(dir)).toBe(true)
      expect(await vfs.exists(`${dir}/sub`)).toBe(true)
      expect(await vfs.exists(`${dir}/sub/f`)).toBe(true)
      expect(await vfs.exists(`${dir}/sub/g`)).toBe(false)
      expect(await vfs.exists(`${dir}/nope/f`)).toBe(false)
    })

    it('mkdir creates missing parents and accepts an existing directory', async (vfs, dir) => {
      await vfs.mkdir(`${dir}/a/b/c`)
      expect(await vfs.readdir(`${dir}/a/b`)).toEqual(['c'])
      await vfs.mkdir(`${dir}/a/b/c`)
      await vfs.mkdir(`${dir}/a`)
      expect(await vfs.readdir(`${dir}/a/b/c`)).toEqual([])
    })

    it('syncDir resolves on an existing directory and throws IO on a missing one', async (vfs, dir) => {
      await (await vfs.open(`${dir}/f`, { create: true })).close()
      await vfs.syncDir(dir)
      await expectCode('IO', () => vfs.syncDir(`${dir}/missing`))
    })
  })

  describe('Vfs conformance: locks', () => {
    it('a lock is exclusive until released', async (vfs, dir) => {
      const lock = await vfs.lock(`${dir}/LOCK`)
      await expectCode('LOCKED', () => vfs.lock(`${dir}/LOCK`))
      const other = await vfs.lock(`${dir}/OTHER`)
      await lock.release()
      await lock.release() // idempotent
      const again = await vfs.lock(`${dir}/LOCK`)
      await again.release()
      await other.release()
    })

    it('a lock in a missing directory throws IO', async (vfs, dir) => {
      await expectCode('IO', () => vfs.lock(`${dir}/missing/LOCK`))
    })
  })
}
