import { spawn, type ChildProcess } from 'node:child_process'
import * as fsp from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { vfsConformance } from '../src/conformance.js'
import { decodeLockFile, encodeLockOwner } from '../src/lock-format.js'
import { removeStale } from '../src/node-lock.js'
import { buffersAfter } from '../src/node-vfs.js'
import { NodeVfs, TinyDbError } from '../src/index.js'
import { compileSources } from './compiled-sources.js'
import { caught } from './helpers.js'

const tempDir = (): Promise<string> => fsp.mkdtemp(join(tmpdir(), 'tinydb-vfs-'))

vfsConformance({ describe, it, expect }, async () => {
  const dir = await tempDir()
  return { vfs: new NodeVfs(), dir, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) }
})

// The lock must hold between processes, so the child needs NodeVfs as plain JavaScript.
let compiled: Awaited<ReturnType<typeof compileSources>>
let compiledUrl: string
beforeAll(async () => {
  compiled = await compileSources()
  compiledUrl = compiled.indexUrl
})
afterAll(() => compiled.remove())

/** Starts a lock holder and resolves with its first line of output (`locked` or an error code). */
function holdLock(lockPath: string): { child: ChildProcess; said: Promise<string>; exited: Promise<void> } {
  const fixture = fileURLToPath(new URL('./fixtures/lock-holder.mjs', import.meta.url))
  const child = spawn(process.execPath, [fixture, compiledUrl, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const said = new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('\n')) resolve(output.trim())
    })
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) saying ${JSON.stringify(output)}`)))
  })
  return { child, said, exited }
}

function lockCode(error: unknown): unknown {
  return TinyDbError.isInstance(error) ? error.code : error
}

describe('NodeVfs locks across processes', () => {
  it('refuses a lock another live process holds, and takes it over once that process is SIGKILLed', async () => {
    const dir = await tempDir()
    const lockPath = join(dir, 'LOCK')
    const holder = holdLock(lockPath)
    try {
      expect(await holder.said).toBe('locked')
      const error = await caught(() => new NodeVfs().lock(lockPath))
      expect(lockCode(error)).toBe('LOCKED')
      expect((error as Error).message).toContain(`process ${holder.child.pid}`)
      holder.child.kill('SIGKILL')
      await holder.exited
      const lock = await new NodeVfs().lock(lockPath) // the dead holder's file is still there
      await lock.release()
      expect(await fsp.readdir(dir)).toEqual([])
    } finally {
      holder.child.kill('SIGKILL')
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('makes another process fail with LOCKED while this one holds the lock', async () => {
    const dir = await tempDir()
    const lockPath = join(dir, 'LOCK')
    const lock = await new NodeVfs().lock(lockPath)
    const contender = holdLock(lockPath)
    try {
      expect(await contender.said).toBe('LOCKED')
      await contender.exited
    } finally {
      contender.child.kill('SIGKILL')
      await lock.release()
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('treats a lock written before a reboot, or by a reused pid, as stale', async () => {
    const dir = await tempDir()
    const lockPath = join(dir, 'LOCK')
    try {
      // Process 1 (init) is alive, but not the holder: another boot, or another start time.
      for (const owner of [
        { pid: 1, bootId: 'not-this-boot', startTime: '1' },
        { pid: 1, startTime: '999999999999' },
      ]) {
        await fsp.writeFile(lockPath, encodeLockOwner(owner))
        await (await new NodeVfs().lock(lockPath)).release()
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('removes a stale lock file only if it is still the one judged stale', async () => {
    const dir = await tempDir()
    const lockPath = join(dir, 'LOCK')
    try {
      await fsp.writeFile(lockPath, encodeLockOwner({ pid: 1, bootId: 'not-this-boot' }))
      const staleInode = (await fsp.stat(lockPath, { bigint: true })).ino
      // Another process took the stale lock over between our read and our removal.
      await fsp.writeFile(`${lockPath}.fresh`, encodeLockOwner({ pid: process.pid }))
      await fsp.rename(`${lockPath}.fresh`, lockPath)
      await removeStale(lockPath, staleInode)
      expect(decodeLockFile(await fsp.readFile(lockPath, 'utf8'))).toEqual({ kind: 'owner', owner: { pid: process.pid } })
      await removeStale(lockPath, (await fsp.stat(lockPath, { bigint: true })).ino)
      expect(await fsp.readdir(dir)).toEqual([])
    } finally {
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('takes over an empty lock file (its bytes lost in a power cut) but never a foreign file', async () => {
    const dir = await tempDir()
    const lockPath = join(dir, 'LOCK')
    try {
      await fsp.writeFile(lockPath, '')
      await (await new NodeVfs().lock(lockPath)).release()
      await fsp.writeFile(lockPath, 'precious data')
      const error = await caught(() => new NodeVfs().lock(lockPath))
      expect(lockCode(error)).toBe('LOCKED')
      expect(await fsp.readFile(lockPath, 'utf8')).toBe('precious data')
    } finally {
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses a second lock from this process, whatever the spelling of the path', async () => {
    const dir = await tempDir()
    try {
      const lock = await new NodeVfs().lock(join(dir, 'LOCK'))
      expect(lockCode(await caught(() => new NodeVfs().lock(`${dir}/./LOCK`)))).toBe('LOCKED')
      await lock.release()
    } finally {
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })
})

describe('NodeVfs writev', () => {
  const views = (buffers: readonly Uint8Array[]): string[] => buffers.map((buffer) => [...buffer].join(','))
  const a = new Uint8Array([1, 2, 3])
  const empty = new Uint8Array(0)
  const b = new Uint8Array([4, 5])

  it('buffersAfter drops the bytes written: inside a buffer, at a boundary, at the end', () => {
    const buffers = [a, empty, b]
    expect(views(buffersAfter(buffers, 0))).toEqual(['1,2,3', '', '4,5'])
    expect(views(buffersAfter(buffers, 1))).toEqual(['2,3', '', '4,5'])
    expect(views(buffersAfter(buffers, 3))).toEqual(['4,5']) // the empty buffer at the boundary goes too
    expect(views(buffersAfter(buffers, 4))).toEqual(['5'])
    expect(buffersAfter(buffers, 5)).toEqual([])
    expect(buffersAfter([], 0)).toEqual([])
    // A view, not a copy: the remainder is the caller's memory.
    expect(buffersAfter(buffers, 1)[0]?.buffer).toBe(a.buffer)
  })

  it('writes the rest after short writes, however the system splits it', async () => {
    const dir = await tempDir()
    const file = await new NodeVfs().open(join(dir, 'f'), { create: true })
    try {
      // Reaches into the file's thread-pool calls so each writev writes at most 2 bytes: short
      // writes are rare on a real disk (libuv retries most), and this makes them happen every call.
      type Writev = (fd: number, buffers: readonly Uint8Array[], position: number) => Promise<number>
      const io = Reflect.get(file, 'io') as { readonly writev: Writev }
      let calls = 0
      const clippedWritev: Writev = async (fd, buffers, position) => {
        calls++
        let room = 2
        const clipped = buffers.map((buffer) => {
          const part = buffer.subarray(0, room)
          room -= part.length
          return part
        })
        return io.writev(fd, clipped, position)
      }
      Reflect.set(file, 'io', { ...io, writev: clippedWritev })
      await file.writev([a, empty, b, new Uint8Array([6])], 10)
      expect(calls).toBe(3)
      const read = new Uint8Array(16)
      expect(file.readSync(read, 0)).toBe(16)
      expect([...read]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6])
    } finally {
      await file.close()
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })

  it('writes more buffers than one pwritev takes (IOV_MAX, 1024 on Linux)', async () => {
    const dir = await tempDir()
    const file = await new NodeVfs().open(join(dir, 'f'), { create: true })
    try {
      const buffers = Array.from({ length: 3000 }, (_, i) => new Uint8Array([i % 251, (i * 7) % 251]))
      await file.writev(buffers, 1)
      const read = new Uint8Array(6001)
      expect(file.readSync(read, 0)).toBe(6001)
      expect([...read.subarray(1)]).toEqual(buffers.flatMap((buffer) => [...buffer]))
    } finally {
      await file.close()
      await fsp.rm(dir, { recursive: true, force: true })
    }
  })
})
