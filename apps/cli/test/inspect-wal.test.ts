import { open as openFile, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open } from '@tinydb/engine'
import { kill, lines, seed, startWriter, tinydbIn, withTempDir } from './cli.js'

interface JsonRecord {
  lsn: number
  segment: string
  offset: number
  length: number
  checksumOk: boolean
  groupFirstLsn: number
  operations?: Array<{ type: string; key: { utf8?: string }; value?: { utf8?: string } }>
  decodeError?: string
}

async function walJson(dir: string, ...args: string[]): Promise<{ checkpointLsn: number; records: JsonRecord[] }> {
  const result = await tinydbIn(dir, 'inspect', 'wal', '--json', ...args)
  expect(result).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(result.stdout) as { checkpointLsn: number; records: JsonRecord[] }
}

describe('inspect wal', () => {
  it('lists each record with its place, checksum, group and decoded put, split at the checkpoint', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['a', '1']]) // lsn 1, then checkpointed by close
      await kill(await startWriter(dir, 3)) // lsn 2..4, only in the log
      const result = await tinydbIn(dir, 'inspect', 'wal')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      expect(printed).toContain('checkpoint lsn: 1 (records up to it are in the page file; recovery replays the later ones)')
      expect(printed).toContainEqual(expect.stringMatching(/^lsn 1 {2}0{15}1\.wal offset 32 {2}length 16 {2}crc ok \(0x[0-9a-f]{8}\) {2}group 1 {2}\[checkpointed\]$/))
      expect(printed).toContain('  put key="a" value="1"')
      expect(printed).toContainEqual(expect.stringMatching(/^lsn 4 {2}\S+\.wal offset \d+ {2}length \d+ {2}crc ok .* {2}\[replayed at open\]$/))
      expect(printed).toContain('  put key="run_tests/0002" value="value 0002 survives a SIGKILL"')
    }))

  it('decodes a batch as one record of N operations, and truncates long values', () =>
    withTempDir(async (dir) => {
      const db = await open(dir)
      await db.batch([
        { type: 'put', key: 'b', value: 'x'.repeat(100) },
        { type: 'del', key: 'a' },
      ])
      await db.close()
      const printed = lines((await tinydbIn(dir, 'inspect', 'wal')).stdout)
      const at = printed.indexOf('  batch of 2:')
      expect(at).toBeGreaterThan(0)
      expect(printed[at - 1]).toMatch(/^lsn 1 .*length 121 .*\[checkpointed\]$/)
      expect(printed[at + 1]).toBe(`    put key="b" value="${'x'.repeat(32)}"… (100 bytes)`)
      expect(printed[at + 2]).toBe('    del key="a"')
    }))

  it('--from and --limit select records; --json decodes them', () =>
    withTempDir(async (dir) => {
      await kill(await startWriter(dir, 5))
      const all = await walJson(dir)
      expect(all.records.map((record) => record.lsn)).toEqual([1, 2, 3, 4, 5])
      const some = await walJson(dir, '--from', '3', '--limit', '2')
      expect(some.records.map((record) => record.lsn)).toEqual([3, 4])
      expect(some.records[0]!.operations).toEqual([
        { type: 'put', key: { utf8: 'run_tests/0002' }, value: { utf8: 'value 0002 survives a SIGKILL' } },
      ])
      expect(some.records[0]!.checksumOk).toBe(true)
      expect((await tinydbIn(dir, 'inspect', 'wal', '--limit', '0')).code).toBe(2)
    }))

  it('shows a damaged record with both checksums, and does not touch the log', () =>
    withTempDir(async (dir) => {
      await kill(await startWriter(dir, 3))
      const { records } = await walJson(dir)
      const last = records.at(-1)!
      const segment = join(dir, 'wal', last.segment)
      const file = await openFile(segment, 'r+')
      await file.write(Buffer.from('Z'), 0, 1, last.offset + 20 + 2) // a byte of the payload
      await file.close()
      const before = await readFile(segment)
      const namesBefore = (await readdir(join(dir, 'wal'))).sort()
      const result = await tinydbIn(dir, 'inspect', 'wal')
      expect(result.code).toBe(0)
      expect(lines(result.stdout)).toContainEqual(
        expect.stringMatching(new RegExp(`^lsn ${last.lsn} .*crc MISMATCH \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)`)),
      )
      expect(lines(result.stdout)).toContainEqual(expect.stringMatching(/records end at offset \d+: frame checksum mismatch$/))
      expect(Buffer.compare(before, await readFile(segment))).toBe(0)
      expect((await readdir(join(dir, 'wal'))).sort()).toEqual(namesBefore)
    }))
})
