import { describe, expect, it } from 'vitest'
import { logWrites } from '../src/commands/stats.js'
import { lines, seed, tinydbIn, withTempDir } from './cli.js'

describe('checkpoint and stats', () => {
  it('checkpoint prints OK and the checkpoint lsn; stats prints readable figures, or JSON', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['a', '1'], ['b', '2'], ['c', '3']])

      const checkpoint = await tinydbIn(dir, 'checkpoint')
      expect(checkpoint).toMatchObject({ code: 0, stderr: '' })
      expect(lines(checkpoint.stdout)).toEqual(['OK', 'checkpoint lsn: 3'])

      const stats = await tinydbIn(dir, 'stats')
      expect(stats).toMatchObject({ code: 0, stderr: '' })
      expect(stats.stdout).toContain('page size: 4096 bytes\n')
      expect(stats.stdout).toMatch(/^tree: depth 1, root page \d+$/m)
      expect(stats.stdout).toMatch(/^checkpoint: last lsn 3, id \d+/m)
      expect(stats.stdout).toMatch(/^log writes: none in this session$/m) // the command's own open wrote nothing

      const json = await tinydbIn(dir, 'stats', '--json')
      expect(json.code).toBe(0)
      const parsed = JSON.parse(json.stdout) as Record<string, unknown>
      expect(parsed).toMatchObject({ dir, durability: 'sync', pageSize: 4096, tree: { depth: 1 } })
      expect(parsed['recovery']).toMatchObject({ created: false, recordsReplayed: 0 })
    }))

  it('log writes: commits per write and the time a write took', () => {
    expect(logWrites({ groups: 4, records: 10, bytes: 1840, writeMs: 0.5, inline: 3 })).toBe(
      '4 commit groups of 10 records (1840 bytes) in this session, 0.125 ms per write, 3 of them on the JavaScript thread',
    )
  })
})
