import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { measureFloor } from '../src/floor.js'

describe('measureFloor', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('times the requested appends and removes its file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tinydb-floor-'))
    const summary = await measureFloor(dir, 160, 20)
    expect(summary.ops).toBe(20)
    expect(summary.p50Ms).toBeGreaterThan(0)
    expect(summary.throughput).toBeGreaterThan(0)
    expect(await readdir(dir)).toEqual([])
  })
})
