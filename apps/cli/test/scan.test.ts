import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lines, seed, tinydbIn } from './cli.js'

describe('scan', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tinydb-cli-scan-'))
    await seed(dir, ['b2', 'a1', 'b1', 'c1', 'b3'].map((key) => [key, `v-${key}`] as const))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const scan = async (...flags: string[]) => {
    const result = await tinydbIn(dir, 'scan', ...flags)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    return lines(result.stdout)
  }

  it('prints every entry in key order as key<TAB>value', async () => {
    expect(await scan()).toEqual(['a1\tv-a1', 'b1\tv-b1', 'b2\tv-b2', 'b3\tv-b3', 'c1\tv-c1'])
  })

  it('filters by --prefix, and combines it with --reverse', async () => {
    expect(await scan('--prefix', 'b')).toEqual(['b1\tv-b1', 'b2\tv-b2', 'b3\tv-b3'])
    expect(await scan('--prefix', 'b', '--reverse')).toEqual(['b3\tv-b3', 'b2\tv-b2', 'b1\tv-b1'])
  })

  it('bounds by --gte and --lt', async () => {
    expect(await scan('--gte', 'b2', '--lt', 'c1')).toEqual(['b2\tv-b2', 'b3\tv-b3'])
  })

  it('applies --limit', async () => {
    expect(await scan('--reverse', '--limit', '2')).toEqual(['c1\tv-c1', 'b3\tv-b3'])
  })

  it('rejects a bad --limit as a usage error (exit 2)', async () => {
    const result = await tinydbIn(dir, 'scan', '--limit', 'many')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("expected an integer >= 0, got 'many'")
  })
})
