import { readdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { open } from '@tinydb/engine'
import { lines, tinydbIn, withTempDir } from './cli.js'

const NUMBER = String.raw`\d+(\.\d+)?`
const EXPECTED = [
  /^ops: 20$/,
  /^value size: 16 bytes$/,
  new RegExp(`^mean latency \\(ms\\): ${NUMBER}$`),
  new RegExp(`^p50 \\(ms\\): ${NUMBER}$`),
  new RegExp(`^p95 \\(ms\\): ${NUMBER}$`),
  new RegExp(`^p99 \\(ms\\): ${NUMBER}$`),
  new RegExp(`^throughput \\(ops/sec\\): ${NUMBER}$`),
  new RegExp(`^log write per put \\(ms\\): ${NUMBER}$`),
  new RegExp(`^rest of a put \\(ms\\): ${NUMBER}$`),
  new RegExp(`^floor p50 \\(ms\\): ${NUMBER}$`),
  new RegExp(`^floor throughput \\(ops/sec\\): ${NUMBER}$`),
  new RegExp(`^ratio to floor \\(throughput\\): ${NUMBER}$`),
  /^bench done$/,
]

describe('bench', () => {
  it('prints exactly the figures, in order, and leaves the written keys and no floor file behind', () =>
    withTempDir(async (dir) => {
      const result = await tinydbIn(dir, 'bench', '20', 'bk', '16')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      expect(printed).toHaveLength(EXPECTED.length)
      EXPECTED.forEach((pattern, index) => expect(printed[index]).toMatch(pattern))
      const db = await open(dir)
      expect(new TextDecoder().decode(await db.get('bk19'))).toBe('a'.repeat(16))
      await db.close()
      expect((await readdir(dir)).filter((name) => name.startsWith('floor-'))).toEqual([])
    }))

  it('rejects a non-numeric count as a usage error', () =>
    withTempDir(async (dir) => {
      const result = await tinydbIn(dir, 'bench', 'lots', 'bk', '16')
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("expected an integer >= 1, got 'lots'")
    }))
})
