import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open } from '@tinydb/engine'
import { lines, tinydb, tinydbIn, withTempDir } from './cli.js'

/** `tinydb compact` and `tinydb backup DEST`, through the built binary (stdout piped: no progress). */

async function seedWithHoles(dir: string): Promise<void> {
  const db = await open(dir)
  for (let i = 0; i < 600; i++) await db.put(`key${String(i).padStart(4, '0')}`, 'v'.repeat(i % 20 === 0 ? 6000 : 200))
  for (let i = 0; i < 600; i++) if (i % 3 !== 0) await db.del(`key${String(i).padStart(4, '0')}`)
  await db.close()
}

describe('compact', () => {
  it('prints pages and bytes before and after, and the store keeps its entries', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'db')
      await seedWithHoles(dir)
      const before = (await stat(join(dir, 'data.tdb'))).size
      const result = await tinydbIn(dir, 'compact')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      expect(printed[0]).toBe('entries: 200')
      expect(printed[1]).toBe('page size: 4096 bytes')
      expect(printed[2]).toMatch(new RegExp(`^pages before: ${before / 4096} \\(\\d+ free\\), ${before} bytes$`))
      const after = (await stat(join(dir, 'data.tdb'))).size
      expect(printed[3]).toBe(`pages after: ${after / 4096} (0 free), ${after} bytes`)
      expect(printed[4]).toMatch(new RegExp(`^reclaimed: ${before - after} bytes \\(\\d+\\.\\d%\\)$`))
      expect(after).toBeLessThan(before)
      expect(lines((await tinydbIn(dir, 'get', 'key0003')).stdout)).toEqual([`Value: ${'v'.repeat(200)}`])
      expect((await tinydbIn(dir, 'check')).code).toBe(0)
    }))

  it('--json prints the report object', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'db')
      await seedWithHoles(dir)
      const result = await tinydbIn(dir, 'compact', '--json')
      expect(result.code).toBe(0)
      const report = JSON.parse(result.stdout) as Record<string, unknown>
      expect(report).toMatchObject({ dir, entries: 200, pageSize: 4096 })
      expect(report['bytesReclaimed']).toBe((report['bytesBefore'] as number) - (report['bytesAfter'] as number))
      expect(report['recovery']).toMatchObject({ created: false })
    }))

  it('exits 1 without creating anything when the directory holds no store', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'nothing')
      const result = await tinydbIn(dir, 'compact')
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^error: INVALID_ARGUMENT: there is no store in /)
      await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' })
    }))
})

describe('backup', () => {
  it('writes a store at DEST that the CLI opens, and refuses a non-empty DEST', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'db')
      await seedWithHoles(dir)
      const dest = join(root, 'copies', 'b1')
      const result = await tinydbIn(dir, 'backup', dest)
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      expect(printed[0]).toBe('entries: 200')
      expect(printed[1]).toMatch(/^pages: \d+ of 4096 bytes, \d+ bytes$/)
      expect(printed[2]).toBe(`backup written to ${dest}`)
      expect((await readdir(join(root, 'copies'))).sort()).toEqual(['b1'])
      expect(lines((await tinydbIn(dest, 'get', 'key0597')).stdout)).toEqual([`Value: ${'v'.repeat(200)}`])
      expect((await tinydbIn(dest, 'get', 'key0598')).code).toBe(1)
      expect((await tinydbIn(dest, 'check')).code).toBe(0)

      const again = await tinydbIn(dir, 'backup', dest)
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/^error: INVALID_ARGUMENT: backup destination .* is not empty/)
    }))

  it('--json prints the report; an empty directory is a valid DEST, a file is not', () =>
    withTempDir(async (root) => {
      const dir = join(root, 'db')
      await seedWithHoles(dir)
      const empty = join(root, 'empty')
      await mkdir(empty)
      const result = await tinydbIn(dir, 'backup', empty, '--json')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({ dest: empty, entries: 200, pageSize: 4096 })
      const file = join(root, 'file')
      await writeFile(file, 'x')
      expect((await tinydbIn(dir, 'backup', file)).stderr).toMatch(/INVALID_ARGUMENT: backup destination .* is not a directory/)
    }))

  it('explains itself in --help and needs DEST (exit 2)', async () => {
    const help = await tinydb(['backup', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: tinydb backup [options] <dest>')
    expect(help.stdout).toContain('absent or complete')
    expect((await tinydb(['compact', '--help'])).stdout).toContain('the old file or the new one')
    expect((await tinydb(['backup'])).code).toBe(2)
  })
})
