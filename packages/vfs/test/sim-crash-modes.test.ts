import { describe, expect, it } from 'vitest'
import { SECTOR_SIZE, SimVfs } from '../src/index.js'

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1)

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value)
}

/** For each sector of `image`, which of `candidates` (by fill byte) it holds, or '?' if a mix inside one sector. */
function sectorSources(image: Uint8Array): string[] {
  const sources: string[] = []
  for (let start = 0; start < image.length; start += SECTOR_SIZE) {
    const sector = image.subarray(start, start + SECTOR_SIZE)
    sources.push(sector.every((byte) => byte === sector[0]) ? String(sector[0]) : '?')
  }
  return sources
}

/** /db/f holds 4 sectors of 1s, durable; then `workload` runs unsynced; then crash(mode). */
async function crashImage(seed: number, mode: 'tear' | 'reorder', workload: (vfs: SimVfs) => Promise<void>): Promise<Uint8Array> {
  const vfs = new SimVfs({ seed })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const file = await vfs.open('/db/f', { create: true })
  await file.write(filled(4 * SECTOR_SIZE, 1), 0)
  await file.sync()
  await vfs.syncDir('/db')
  await workload(vfs)
  vfs.crash({ mode })
  return vfs.readDurable('/db/f')
}

describe('SimVfs crash modes', () => {
  it("'tear' lands a random subset of the last write's sectors, drops earlier unsynced writes, reproducibly", async () => {
    const outcomes = new Set<string>()
    for (const seed of SEEDS) {
      const workload = async (vfs: SimVfs): Promise<void> => {
        const file = await vfs.open('/db/f')
        await file.write(filled(4 * SECTOR_SIZE, 2), 0) // earlier unsynced write: always dropped
        await file.write(filled(4 * SECTOR_SIZE, 3), 0) // the last write: torn
      }
      const image = await crashImage(seed, 'tear', workload)
      expect(Buffer.compare(await crashImage(seed, 'tear', workload), image)).toBe(0)
      const sources = sectorSources(image)
      expect(sources.every((source) => source === '1' || source === '3')).toBe(true)
      outcomes.add(sources.join(''))
    }
    // 40 seeds over 16 possible subsets: torn mixes as well as all-or-nothing outcomes occur.
    expect(outcomes.size).toBeGreaterThan(8)
    expect([...outcomes].some((outcome) => outcome.includes('1') && outcome.includes('3'))).toBe(true)
  })

  it("'tear' cuts at absolute 512-byte boundaries, not at the write's start", async () => {
    const pieces = new Set<string>()
    for (const seed of SEEDS) {
      const image = await crashImage(seed, 'tear', async (vfs) => {
        const file = await vfs.open('/db/f')
        await file.write(filled(SECTOR_SIZE, 3), 256) // straddles sectors 0 and 1
      })
      expect(image.length).toBe(4 * SECTOR_SIZE)
      expect(image.subarray(0, 256).every((byte) => byte === 1)).toBe(true)
      expect(image.subarray(768).every((byte) => byte === 1)).toBe(true)
      const first = image.subarray(256, 512)
      const second = image.subarray(512, 768)
      expect(first.every((byte) => byte === first[0])).toBe(true)
      expect(second.every((byte) => byte === second[0])).toBe(true)
      pieces.add(`${first[0]}${second[0]}`)
    }
    expect([...pieces].sort()).toEqual(['11', '13', '31', '33'])
  })

  it("'tear' can extend a file: a landed sector past the durable end leaves zeros before it", async () => {
    const images: Uint8Array[] = []
    for (const seed of SEEDS) {
      images.push(
        await crashImage(seed, 'tear', async (vfs) => {
          const file = await vfs.open('/db/f')
          await file.write(filled(2 * SECTOR_SIZE, 5), 5 * SECTOR_SIZE) // sectors 5 and 6; 4 is a hole
        }),
      )
    }
    const lengths = new Set(images.map((image) => image.length / SECTOR_SIZE))
    expect([...lengths].sort()).toEqual([4, 6, 7])
    for (const image of images.filter((candidate) => candidate.length > 4 * SECTOR_SIZE)) {
      expect(sectorSources(image)[4]).toBe('0')
    }
  })

  it("'reorder' lands each sector of each unsynced write independently, in any order", async () => {
    const outcomes = new Set<string>()
    for (const seed of SEEDS) {
      const workload = async (vfs: SimVfs): Promise<void> => {
        const file = await vfs.open('/db/f')
        await file.write(filled(4 * SECTOR_SIZE, 2), 0)
        await file.write(filled(2 * SECTOR_SIZE, 3), SECTOR_SIZE) // sectors 1 and 2 written twice
      }
      const image = await crashImage(seed, 'reorder', workload)
      expect(Buffer.compare(await crashImage(seed, 'reorder', workload), image)).toBe(0)
      const sources = sectorSources(image)
      expect(['1', '2']).toContain(sources[0])
      expect(['1', '2', '3']).toContain(sources[1])
      expect(['1', '2', '3']).toContain(sources[2])
      expect(['1', '2']).toContain(sources[3])
      outcomes.add(sources.join(''))
    }
    // The older write winning a doubly written sector (landing after the newer one) happens too.
    expect([...outcomes].some((outcome) => outcome[1] === '2' || outcome[2] === '2')).toBe(true)
    expect([...outcomes].some((outcome) => outcome[1] === '3')).toBe(true)
    expect(outcomes.size).toBeGreaterThan(15)
  })

  it("'reorder' keeps a prefix of the unsynced namespace changes, in order", async () => {
    const seen = new Set<string>()
    for (const seed of SEEDS) {
      const vfs = new SimVfs({ seed })
      await vfs.mkdir('/db')
      await vfs.syncDir('/')
      for (const name of ['a', 'b', 'c']) await (await vfs.open(`/db/${name}`, { create: true })).close()
      await vfs.unlink('/db/a')
      vfs.crash({ mode: 'reorder' })
      seen.add((await vfs.readdir('/db')).join(','))
    }
    expect([...seen].sort()).toEqual(['', 'a', 'a,b', 'a,b,c', 'b,c'])
  })

  it("'reorder' never undoes what syncDir made durable", async () => {
    const seen = new Set<string>()
    for (const seed of SEEDS) {
      const vfs = new SimVfs({ seed })
      await vfs.mkdir('/db')
      await vfs.syncDir('/')
      await (await vfs.open('/db/a', { create: true })).close()
      await vfs.unlink('/db/a')
      await (await vfs.open('/db/b', { create: true })).close()
      await vfs.syncDir('/db')
      await vfs.mkdir('/db/sub')
      vfs.crash({ mode: 'reorder' })
      seen.add((await vfs.readdir('/db')).join(','))
    }
    expect([...seen].sort()).toEqual(['b', 'b,sub'])
  })

  it("'drop' and 'tear' keep no unsynced namespace change", async () => {
    for (const mode of ['drop', 'tear'] as const) {
      const vfs = new SimVfs()
      await vfs.mkdir('/db')
      vfs.crash({ mode })
      expect(await vfs.exists('/db')).toBe(false)
    }
  })

  it('gives the same image for the same seed and history, and other images for other seeds', async () => {
    const run = async (seed: number): Promise<string> => {
      const image = await crashImage(seed, 'reorder', async (vfs) => {
        const file = await vfs.open('/db/f')
        for (let i = 0; i < 8; i++) await file.write(filled(SECTOR_SIZE, 10 + i), (i % 4) * SECTOR_SIZE)
      })
      return sectorSources(image).join(',')
    }
    expect(await run(99)).toBe(await run(99))
    const distinct = new Set(await Promise.all(SEEDS.slice(0, 10).map(run)))
    expect(distinct.size).toBeGreaterThan(5)
  })
})
