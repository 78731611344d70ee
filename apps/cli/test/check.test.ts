import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { lines, seed, tinydbIn, withTempDir } from './cli.js'
// Planting a leaf whose keys are out of order needs a valid checksum over wrong content: only the
// pager's own checksum module computes one, and it is not part of any package's public face.
import { FORMAT_VERSION, pageChecksumFor } from '../../../packages/pager/src/page-checksum.js'

const PAGE_SIZE = 4096 // the engine's default

describe('check', () => {
  it('prints the report and OK, exit code 0, on a sound store', () =>
    withTempDir(async (dir) => {
      await seed(dir, Array.from({ length: 5 }, (_, index) => [`key${index}`, `value${index}`] as const))
      const result = await tinydbIn(dir, 'check')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      expect(printed[0]).toMatch(/^pages checked: \d+$/)
      expect(printed).toContain('keys: 5')
      expect(printed.at(-1)).toBe('OK')
    }))

  it('exits 1 and names the file and page when data pages are damaged', () =>
    withTempDir(async (dir) => {
      // Closing the store checkpoints: the pages are in data.tdb and the durable meta references them.
      await seed(dir, Array.from({ length: 200 }, (_, index) => [`key${index}`, 'x'.repeat(100)] as const))
      // Flip one byte in the middle of every page after the two meta pages: whatever the tree's
      // shape, its root is among them.
      const dataPath = join(dir, 'data.tdb')
      const pages = (await stat(dataPath)).size / PAGE_SIZE
      expect(pages).toBeGreaterThan(2)
      const file = await open(dataPath, 'r+')
      for (let pageId = 2; pageId < pages; pageId++) {
        const position = pageId * PAGE_SIZE + PAGE_SIZE / 2
        const byte = Buffer.alloc(1)
        await file.read(byte, 0, 1, position)
        byte[0] = (byte[0] ?? 0) ^ 0xff
        await file.write(byte, 0, 1, position)
      }
      await file.close()

      const result = await tinydbIn(dir, 'check')
      expect(result.code).toBe(1)
      const problems = lines(result.stdout).filter((line) => line.startsWith('problem: '))
      expect(problems.length).toBeGreaterThan(0)
      for (const problem of problems) expect(problem).toMatch(/^problem: .*data\.tdb page \d+( offset \d+)?: .+/)
      expect(result.stdout).toMatch(/checksum mismatch/)
      expect(result.stdout).not.toMatch(/^OK$/m)
      expect(result.stderr).toBe(`check failed: ${problems.length} problem(s)\n`)
    }))

  it('exits 1 on a leaf whose keys are out of order, though every checksum is valid', () =>
    withTempDir(async (dir) => {
      await seed(dir, Array.from({ length: 200 }, (_, index) => [`key${String(index).padStart(3, '0')}`, 'x'.repeat(100)] as const))
      const dataPath = join(dir, 'data.tdb')
      const file = await open(dataPath, 'r+')
      const pages = (await stat(dataPath)).size / PAGE_SIZE
      const page = Buffer.alloc(PAGE_SIZE)
      let planted: number | undefined
      // The first leaf (type 16 at byte 8) with two cells or more; one checkpoint wrote every page, so it is live.
      for (let pageId = 2; pageId < pages && planted === undefined; pageId++) {
        await file.read(page, 0, PAGE_SIZE, pageId * PAGE_SIZE)
        if (page[8] !== 16 || page.readUInt16LE(16) < 2) continue
        // Swap the first two slots of the body (header 16 bytes, slotted header 8), their offsets
        // and their key heads (after all the offsets): keys now descend, each head still its key's.
        const [first, second] = [page.readUInt16LE(24), page.readUInt16LE(26)]
        page.writeUInt16LE(second, 24)
        page.writeUInt16LE(first, 26)
        const heads = 24 + 2 * page.readUInt16LE(16)
        const [firstHead, secondHead] = [page.readUInt32BE(heads), page.readUInt32BE(heads + 4)]
        page.writeUInt32BE(secondHead, heads)
        page.writeUInt32BE(firstHead, heads + 4)
        page.writeUInt32LE(pageChecksumFor(FORMAT_VERSION, PAGE_SIZE)!.compute(page), 0)
        await file.write(page, 0, PAGE_SIZE, pageId * PAGE_SIZE)
        planted = pageId
      }
      await file.close()
      expect(planted).toBeDefined()

      const result = await tinydbIn(dir, 'check')
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(new RegExp(`problem: .*data\\.tdb page ${planted}: .*not in ascending order`))
      expect(result.stdout).not.toMatch(/checksum mismatch/)
    }))
})
