import { open as openFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kill, lines, seed, startWriter, tinydbIn, withTempDir } from './cli.js'

/** Flips one byte of the page file at `offset` (a torn or rotten meta page, as a crash or the disk leaves it). */
async function flipByte(dir: string, offset: number): Promise<void> {
  const file = await openFile(join(dir, 'data.tdb'), 'r+')
  try {
    const byte = Buffer.alloc(1)
    await file.read(byte, 0, 1, offset)
    byte[0] = byte[0]! ^ 0xff
    await file.write(byte, 0, 1, offset)
  } finally {
    await file.close()
  }
}

describe('inspect meta', () => {
  it('shows both meta pages and picks the newer checkpoint as live', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['a', '1']]) // close checkpoints: checkpoint 1 in meta page 1
      const result = await tinydbIn(dir, 'inspect', 'meta')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      expect(printed[0]).toMatch(/^data file: .*data\.tdb \(\d+ bytes, page size 4096, format version 3: pages checksummed with CRC-32, meta pages with CRC-32C\)$/)
      expect(printed).toContain('meta page 0: valid')
      expect(printed).toContain('meta page 1: valid [LIVE]')
      expect(printed.filter((line) => /^ {2}crc: ok \(0x[0-9a-f]{8}\)$/.test(line))).toHaveLength(2)
      expect(printed).toContain('  checkpoint id: 1')
      expect(printed.at(-1)).toBe('live: meta page 1 — both metas are valid; page 1 records the newer checkpoint (1 > 0)')
    }))

  it('--json gives the same facts for scripts', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['a', '1']])
      const result = await tinydbIn(dir, 'inspect', 'meta', '--json')
      expect(result.code).toBe(0)
      const inspection = JSON.parse(result.stdout) as {
        pageSize: number
        live: number
        slots: Array<{ status: string; meta: { checkpointId: number; checkpointLsn: number; rootPageId: number } }>
      }
      expect(inspection.pageSize).toBe(4096)
      expect(inspection.live).toBe(1)
      expect(inspection.slots.map((slot) => slot.status)).toEqual(['valid', 'valid'])
      expect(inspection.slots[1]!.meta).toMatchObject({ checkpointId: 1, checkpointLsn: 1 })
      expect(inspection.slots[1]!.meta.rootPageId).toBeGreaterThanOrEqual(2)
    }))

  it('explains a torn meta page: checksum mismatch, so the other meta is live', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['a', '1']])
      await flipByte(dir, 4096 + 40) // inside meta page 1 (the checkpoint LSN field)
      const result = await tinydbIn(dir, 'inspect', 'meta')
      expect(result.code).toBe(0)
      const printed = lines(result.stdout)
      expect(printed).toContain('meta page 0: valid [LIVE]')
      expect(printed).toContain('meta page 1: invalid (checksum mismatch)')
      expect(printed.some((line) => /^ {2}crc: MISMATCH \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/.test(line))).toBe(true)
      expect(printed.at(-1)).toMatch(/^live: meta page 0 — page 1 is invalid \(checksum mismatch\)/)
    }))

  it('does not modify the store, and refuses a directory that holds none', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['a', '1']])
      const before = await readFile(join(dir, 'data.tdb'))
      expect((await tinydbIn(dir, 'inspect', 'meta')).code).toBe(0)
      expect(Buffer.compare(before, await readFile(join(dir, 'data.tdb')))).toBe(0)
      const missing = await tinydbIn(join(dir, 'nothing-here'), 'inspect', 'meta')
      expect(missing.code).toBe(1)
      expect(missing.stderr).toMatch(/holds no TinyDB store/)
    }))

  it('refuses a store open in another process (LOCKED) rather than show it half-written', () =>
    withTempDir(async (dir) => {
      const writer = await startWriter(dir, 1)
      try {
        for (const view of [['meta'], ['wal'], ['page', '2'], ['tree']]) {
          const result = await tinydbIn(dir, 'inspect', ...view)
          expect(result).toMatchObject({ code: 1, stdout: '' })
          expect(result.stderr).toMatch(/^error: LOCKED: .+ is locked by process \d+\n$/)
        }
      } finally {
        await kill(writer)
      }
    }))
})
