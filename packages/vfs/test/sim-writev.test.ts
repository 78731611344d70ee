import { describe, expect, it } from 'vitest'
import { SECTOR_SIZE, SimCrashError, SimVfs, TinyDbError, type CrashMode, type VfsFile } from '../src/index.js'
import { caught } from './helpers.js'

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1)

// Boundaries inside sectors on purpose: the first buffer ends, and the write starts, mid-sector.
const POSITION = 300
const FIRST = new Uint8Array(700).fill(2)
const SECOND = new Uint8Array(1100).fill(3)

/** A SimVfs whose /db/f holds 4 durable sectors of 1s. */
async function machine(seed: number): Promise<{ vfs: SimVfs; file: VfsFile }> {
  const vfs = new SimVfs({ seed })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const file = await vfs.open('/db/f', { create: true })
  await file.write(new Uint8Array(4 * SECTOR_SIZE).fill(1), 0)
  await file.sync()
  await vfs.syncDir('/db')
  return { vfs, file }
}

/** The platter after `workload` runs unsynced and the machine crashes in `mode`. */
async function survivor(seed: number, mode: CrashMode, workload: (file: VfsFile) => Promise<void>): Promise<Uint8Array> {
  const { vfs, file } = await machine(seed)
  await file.write(new Uint8Array(SECTOR_SIZE).fill(9), 3 * SECTOR_SIZE) // an earlier unsynced write
  await workload(file)
  vfs.crash({ mode })
  return vfs.readDurable('/db/f')
}

const gathered = (file: VfsFile): Promise<void> => file.writev([FIRST, SECOND], POSITION)
const concatenated = (file: VfsFile): Promise<void> => file.write(new Uint8Array([...FIRST, ...SECOND]), POSITION)

describe('SimVfs writev', () => {
  it('leaves, after a crash in every mode, exactly the bytes one write of the concatenation leaves', async () => {
    console.log('seeds', SEEDS[0], '..', SEEDS.at(-1))
    const torn = new Set<string>()
    for (const mode of ['drop', 'tear', 'reorder'] as const) {
      for (const seed of SEEDS) {
        const image = await survivor(seed, mode, gathered)
        expect(Buffer.compare(image, await survivor(seed, mode, concatenated)), `${mode}, seed ${seed}`).toBe(0)
        if (mode === 'tear') {
          // Which sector (by its first byte) holds the new bytes: a tear may cut across the buffers' boundary.
          const landed: string[] = []
          for (let at = POSITION; at < POSITION + FIRST.length + SECOND.length; at += SECTOR_SIZE) {
            landed.push(image[at] === 1 || image[at] === undefined ? '-' : 'x')
          }
          torn.add(landed.join(''))
        }
      }
    }
    // Not vacuous: the seeds tear it into mixes of landed and lost sectors, not only all or nothing.
    expect([...torn].some((outcome) => outcome.includes('x') && outcome.includes('-'))).toBe(true)
  })

  it('counts as one write, and one more for the sync of a dsync handle, empty or not', async () => {
    const { vfs, file } = await machine(5)
    let before = vfs.operationCount
    await file.writev([FIRST, SECOND], 0)
    expect(vfs.operationCount).toBe(before + 1)
    await file.writev([], 0)
    expect(vfs.operationCount).toBe(before + 2)
    const dsync = await vfs.open('/db/f', { dsync: true })
    before = vfs.operationCount
    await dsync.writev([FIRST, SECOND], 0)
    expect(vfs.operationCount).toBe(before + 2)
  })

  it('is refused whole at its crash point: none of its buffers is written', async () => {
    const { vfs, file } = await machine(6)
    vfs.crashAtOperation(1)
    expect(SimCrashError.isInstance(await caught(() => file.writev([FIRST, SECOND], 0)))).toBe(true)
    expect(vfs.halted).toBe(true)
    vfs.crash()
    expect([...vfs.readDurable('/db/f')]).toEqual([...new Uint8Array(4 * SECTOR_SIZE).fill(1)])
  })

  it('fails whole on an injected write fault, and a dsync handle’s on a sync fault loses it for good', async () => {
    const { vfs, file } = await machine(7)
    vfs.injectFault({ operation: 'write', path: '/db/f', error: 'ENOSPC' })
    const error = await caught(() => file.writev([FIRST, SECOND], 0))
    expect(TinyDbError.isInstance(error) && [error.code, (error.cause as { code?: string }).code]).toEqual(['IO', 'ENOSPC'])
    const visible = new Uint8Array(4 * SECTOR_SIZE)
    expect(file.readSync(visible, 0)).toBe(visible.length)
    expect(visible.every((byte) => byte === 1)).toBe(true)

    const dsync = await vfs.open('/db/f', { dsync: true })
    vfs.injectFault({ operation: 'sync', path: '/db/f', error: 'EIO' })
    await expect(dsync.writev([FIRST, SECOND], 0)).rejects.toMatchObject({ code: 'IO' })
    await dsync.sync()
    vfs.crash()
    expect([...vfs.readDurable('/db/f')]).toEqual([...new Uint8Array(4 * SECTOR_SIZE).fill(1)])
  })
})
