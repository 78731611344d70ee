import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as fsp from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { packSequence } from '../src/durable-layout.js'
import { LAYOUT_START, NO_MINIMUM_SIZE, stagingStart } from '../src/durable-protocol.js'
import { durableWorker } from '../src/durable-worker.js'
import { NodeVfs, TinyDbError, type VfsFile } from '../src/index.js'
import { compileSources } from './compiled-sources.js'
import { bytes, caught } from './helpers.js'

const MiB = 1 << 20

/** `content` in SharedArrayBuffer memory: written from where it is. */
function shared(content: Uint8Array): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(content.length))
  view.set(content)
  return view
}

function code(error: unknown): unknown {
  return TinyDbError.isInstance(error) ? error.code : error
}

let dir: string
let path: string
let file: VfsFile
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'tinydb-vfs-queue-'))
  path = join(dir, 'f')
  file = await new NodeVfs().open(path, { create: true })
})
afterEach(async () => {
  await file.close().catch(() => undefined)
  await fsp.rm(dir, { recursive: true, force: true })
})

describe('NodeVfs queueDurable: what is written', () => {
  it('writes single and gathered writes, shared and ordinary buffers, at their positions', async () => {
    const pool = shared(bytes('..SHARED..POOL..'))
    const steps = [
      { writes: [{ position: 10, buffers: [pool.subarray(2, 8)] }, { position: 0, buffers: [bytes('ord'), pool.subarray(10, 14), bytes('!')] }] },
      { writes: [{ position: 20, buffers: [shared(bytes('last'))] }] },
    ]
    expect(await file.queueDurable(steps).done).toBe('durable')
    expect(fs.readFileSync(path).toString('latin1')).toBe('ordPOOL!\0\0SHARED\0\0\0\0last')
  })

  it('writes more buffers than one pwritev takes (IOV_MAX), alternating shared and ordinary', async () => {
    const buffers = Array.from({ length: 3000 }, (_, i) => {
      const pair = new Uint8Array([i % 251, (i * 7) % 251])
      return i % 2 === 0 ? shared(pair) : pair
    })
    expect(await file.queueDurable([{ writes: [{ position: 1, buffers }] }]).done).toBe('durable')
    const written = fs.readFileSync(path)
    expect(written.length).toBe(6001)
    expect([...written.subarray(1)]).toEqual(buffers.flatMap((buffer) => [...buffer]))
  })

  it('copies ordinary buffers when queued: changing them right after changes nothing written', async () => {
    const ordinary = bytes('original')
    const gathered = [Buffer.from('gath'), bytes('ered')]
    const { done } = file.queueDurable([{ writes: [{ position: 0, buffers: [ordinary] }, { position: 8, buffers: gathered }] }])
    ordinary.fill(0)
    for (const buffer of gathered) buffer.fill(0)
    expect(await done).toBe('durable')
    expect(fs.readFileSync(path, 'latin1')).toBe('originalgathered')
  })

  it('refers to shared memory where it is, once per distinct memory, and stages only the rest', () => {
    const memory = new SharedArrayBuffer(64)
    const other = new SharedArrayBuffer(8)
    const packed = packSequence(
      [
        { writes: [{ position: 5, buffers: [new Uint8Array(memory, 4, 8), bytes('abc'), new Uint8Array(other, 1, 2)] }], minimumSize: 100 },
        { writes: [{ position: 0, buffers: [new Uint8Array(memory, 40, 4), bytes('de')] }] },
      ],
      'f',
    )
    expect(packed.memories.length).toBe(3)
    expect(packed.memories[1]).toBe(memory) // the caller's memory itself, not a copy
    expect(packed.memories[2]).toBe(other)
    // Memory 0: the state word, the layout, then 'abc' and 'de' (the only ordinary buffers).
    const start = stagingStart(packed.layoutSlots)
    expect(packed.memories[0]?.byteLength).toBe(start + 5)
    expect(new TextDecoder().decode(new Uint8Array(packed.memories[0]!, start))).toBe('abcde')
    // prettier-ignore
    expect([...new Float64Array(packed.memories[0]!, LAYOUT_START, packed.layoutSlots)]).toEqual([
      2,
      100, 1,
      5, 3, 1, 4, 8, 0, start, 3, 2, 1, 2,
      NO_MINIMUM_SIZE, 1,
      0, 2, 1, 40, 4, 0, start + 3, 2,
    ])
  })

  it('runs many sequences on one file in queue order', async () => {
    const settled: number[] = []
    const all = Array.from({ length: 40 }, (_, i) =>
      file
        .queueDurable([{ writes: [{ position: 0, buffers: [new Uint8Array(64 * 1024).fill(i)] }, { position: 64 * 1024 + i, buffers: [shared(new Uint8Array([i]))] }] }])
        .done.then((outcome) => {
          settled.push(i)
          return outcome
        }),
    )
    expect(new Set(await Promise.all(all))).toEqual(new Set(['durable']))
    expect(settled).toEqual(Array.from({ length: 40 }, (_, i) => i))
    const written = fs.readFileSync(path)
    expect(new Set(written.subarray(0, 64 * 1024))).toEqual(new Set([39]))
    expect([...written.subarray(64 * 1024)]).toEqual(Array.from({ length: 40 }, (_, i) => i))
  })

  it('stages ordinary buffers right in memory reused from earlier sequences, and an earlier sequence stays durable', async () => {
    const earlier = file.queueDurable([{ writes: [{ position: 0, buffers: [new Uint8Array(3000).fill(7)] }] }])
    expect(await earlier.done).toBe('durable')
    // Each later sequence stages other bytes in the memory the one before it gave back.
    for (let round = 0; round < 6; round++) {
      const content = new Uint8Array(2000 + round * 500).fill(round + 1)
      expect(await file.queueDurable([{ writes: [{ position: 0, buffers: [content] }] }]).done).toBe('durable')
      expect([...new Set(fs.readFileSync(path).subarray(0, content.length))]).toEqual([round + 1])
    }
    expect(earlier.isDurable()).toBe(true)
  })

  it('grows the file to minimumSize only when it is shorter', async () => {
    expect(await file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('abc')] }], minimumSize: 4096 }]).done).toBe('durable')
    expect(fs.statSync(path).size).toBe(4096)
    expect(await file.queueDurable([{ writes: [{ position: 8000, buffers: [bytes('x')] }], minimumSize: 100 }]).done).toBe('durable')
    expect(fs.statSync(path).size).toBe(8001)
  })
})

describe('NodeVfs queueDurable: cancel, failure, worker', () => {
  it('cancels a sequence queued behind a large one: then none of its bytes are written', async () => {
    const large = file.queueDurable([{ writes: [{ position: 0, buffers: [new Uint8Array(64 * MiB).fill(1)] }] }])
    const behind = file.queueDurable([{ writes: [{ position: 64 * MiB, buffers: [bytes('behind')] }] }])
    const cancelled = behind.cancel()
    expect(await large.done).toBe('durable')
    // Withdrawn only if none of its I/O had started; if it had, it ran to its end.
    expect(await behind.done).toBe(cancelled ? 'cancelled' : 'durable')
    expect(fs.statSync(path).size).toBe(cancelled ? 64 * MiB : 64 * MiB + 6)
    // The queue goes on after a cancelled sequence.
    expect(await file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('after')] }] }]).done).toBe('durable')
  })

  it('never hands a cancelled sequence\'s memory to a later one: the worker still has to find it cancelled', async () => {
    const large = file.queueDurable([{ writes: [{ position: 0, buffers: [new Uint8Array(64 * MiB).fill(1)] }] }])
    const behind = file.queueDurable([{ writes: [{ position: 64 * MiB, buffers: [bytes('behind')] }] }])
    const cancelled = behind.cancel()
    // Queued before the worker reaches the cancelled one: had it taken that memory, the worker would
    // find this one's QUEUED state word there and run the cancelled layout.
    // (Laid out unlike the cancelled one, so its layout read with the cancelled one's length fails.)
    const later = file.queueDurable([
      { writes: [{ position: 64 * MiB + 100, buffers: [bytes('later')] }] },
      { writes: [{ position: 64 * MiB + 200, buffers: [bytes('and')] }, { position: 64 * MiB + 300, buffers: [bytes('more')] }] },
    ])
    expect([await large.done, await behind.done, await later.done]).toEqual(['durable', cancelled ? 'cancelled' : 'durable', 'durable'])
    const tail = fs.readFileSync(path).subarray(64 * MiB)
    expect(tail.subarray(0, 6).toString('latin1')).toBe(cancelled ? '\0'.repeat(6) : 'behind')
    expect([100, 200, 300].map((at) => tail.subarray(at, at + 5).toString('latin1').replace(/\0/g, ''))).toEqual(['later', 'and', 'more'])
  })

  it('rejects a failed write as the plain write does, and the sequences after it POISONED without I/O', async () => {
    fs.writeFileSync(path, 'intact')
    // A descriptor that cannot write (EBADF) is a failure every file system gives alike. The file's
    // own descriptor is put back for close at the end.
    const writable = Reflect.get(file, 'fd') as number
    const readOnly = fs.openSync(path, 'r')
    Reflect.set(file, 'fd', readOnly)
    try {
      const plain = await caught(() => file.write(bytes('x'), 0))
      const failing = file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('x')] }] }])
      const posted = file.queueDurable([{ writes: [{ position: 1, buffers: [bytes('y')] }] }]) // already with the worker
      const failure = await caught(() => failing.done)
      expect(code(failure)).toBe('IO')
      expect((failure as Error).message).toBe(`write failed on ${path}: EBADF`)
      expect((failure as Error).message).toBe((plain as Error).message)
      expect((failure as TinyDbError).file).toBe(path)
      const cause = (failure as Error).cause as NodeJS.ErrnoException
      const plainCause = (plain as Error).cause as NodeJS.ErrnoException
      expect([cause.code, cause.errno, cause.syscall, cause.message]).toEqual([plainCause.code, plainCause.errno, plainCause.syscall, plainCause.message])
      const skipped = await caught(() => posted.done)
      expect(code(skipped)).toBe('POISONED')
      expect((skipped as Error).cause).toBe(failure)
      const later = file.queueDurable([{ writes: [{ position: 2, buffers: [bytes('z')] }] }])
      expect(later.cancel()).toBe(false) // rejected at once: nothing to withdraw
      expect(code(await caught(() => later.done))).toBe('POISONED')
      expect(fs.readFileSync(path, 'latin1')).toBe('intact')
    } finally {
      await file.close() // closes the read-only descriptor
      fs.closeSync(writable)
    }
  })

  it('progresses while this thread never yields to the event loop', async () => {
    const marker = bytes('written by the worker')
    const { done } = file.queueDurable([
      { writes: [{ position: 0, buffers: [new Uint8Array(4 * MiB)] }] },
      { writes: [{ position: 4 * MiB, buffers: [marker] }] },
    ])
    // Synchronous polling: no promise, timer or I/O callback of this thread runs until it ends, so
    // the bytes can only come from another thread.
    const seen = new Uint8Array(marker.length)
    const fd = fs.openSync(path, 'r')
    const deadline = Date.now() + 10_000
    let found = false
    try {
      while (!found && Date.now() < deadline) found = fs.readSync(fd, seen, 0, seen.length, 4 * MiB) === seen.length && Buffer.compare(seen, marker) === 0
    } finally {
      fs.closeSync(fd)
    }
    expect(found).toBe(true)
    expect(await done).toBe('durable')
  })

  it('says the sequence is durable before its report arrives, to a thread that never yields', async () => {
    const queued = file.queueDurable([{ writes: [{ position: 0, buffers: [new Uint8Array(MiB)] }] }])
    // The report is a message this thread handles only when it yields; the shared state word is not.
    const deadline = Date.now() + 10_000
    while (!queued.isDurable() && Date.now() < deadline) {
      // spin
    }
    expect(queued.isDurable()).toBe(true)
    expect(await queued.done).toBe('durable')
  })

  it('rejects pending sequences with IO when the worker dies, poisons their file, and starts a new worker', async () => {
    // The sequences go to a thread started by the first of them and stopped right after: it cannot
    // boot, write 48 MiB and sync it three times in between, so at least one is lost.
    await durableWorker.terminate()
    const pending = [0, 1, 2].map((i) => file.queueDurable([{ writes: [{ position: i * 16 * MiB, buffers: [new Uint8Array(16 * MiB).fill(1)] }] }]).done)
    const stopped = durableWorker.terminate()
    const outcomes = await Promise.all(pending.map((done) => done.then(String, (error: unknown) => error)))
    await stopped
    // Those the worker finished before it stopped are durable; every later one is an IO error.
    const firstLost = outcomes.findIndex((outcome) => outcome !== 'durable')
    expect(firstLost).not.toBe(-1)
    for (const outcome of outcomes.slice(firstLost)) {
      expect(code(outcome)).toBe('IO')
      expect((outcome as Error).message).toContain('worker thread')
    }
    expect(code(await caught(() => file.queueDurable([]).done))).toBe('POISONED')
    const other = await new NodeVfs().open(join(dir, 'other'), { create: true })
    expect(await other.queueDurable([{ writes: [{ position: 0, buffers: [bytes('fresh')] }] }]).done).toBe('durable')
    await other.close()
    expect(fs.readFileSync(join(dir, 'other'), 'latin1')).toBe('fresh')
  })
})

describe('NodeVfs queueDurable: process lifetime', () => {
  let compiled: Awaited<ReturnType<typeof compileSources>>
  beforeAll(async () => {
    compiled = await compileSources()
  })
  afterAll(() => compiled.remove())

  it('keeps a process alive until its sequence is durable, then lets it exit by itself', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/durable-exit.mjs', import.meta.url))
    const size = 16 * MiB
    const child = spawn(process.execPath, [fixture, compiled.indexUrl, path, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    // A bound, not a timing assertion: a worker that stays ref'd when idle never lets it exit.
    const bound = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (exitCode, signal) => resolve({ code: exitCode, signal })),
    )
    clearTimeout(bound)
    expect([exit, output]).toEqual([{ code: 0, signal: null }, 'durable\n'])
    expect(fs.statSync(path).size).toBe(size + 3)
  })
})
