import { describe, expect, it } from 'vitest'
import { open } from '@tinydb/engine'
import { lines, seed, tinydbIn, withTempDir } from './cli.js'

interface TreeJson {
  rootPageId: number
  pageCount: number
  depth: number
  keys: number
  levels: Array<{ level: number; branchPages: number; leafPages: number }>
  fillHistogram: number[]
  overflowPages: number
  overflowChains: number
  freePages: number
  freeListPages: number
  unaccountedPages: number
  problems: string[]
}

async function treeJson(dir: string): Promise<TreeJson> {
  const result = await tinydbIn(dir, 'inspect', 'tree', '--json')
  expect(result).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(result.stdout) as TreeJson
}

describe('inspect tree', () => {
  it('accounts for every page: levels, fill histogram, overflow chains, free pages', () =>
    withTempDir(async (dir) => {
      const db = await open(dir)
      for (let i = 0; i < 2000; i++) await db.put(`key${String(i).padStart(5, '0')}`, `value ${i}`)
      await db.put('big', 'y'.repeat(10_000)) // 3 overflow pages of 4072 bytes
      await db.checkpoint()
      // Deleting every other key after a checkpoint: copy-on-write frees the old leaf versions.
      for (let i = 0; i < 2000; i += 2) await db.del(`key${String(i).padStart(5, '0')}`)
      await db.close()
      const shape = await treeJson(dir)
      expect(shape.problems).toEqual([])
      expect(shape.keys).toBe(1001)
      expect(shape.depth).toBe(2)
      expect(shape.levels[0]).toEqual({ level: 0, branchPages: 1, leafPages: 0 })
      const treePages = shape.levels.reduce((sum, level) => sum + level.branchPages + level.leafPages, 0)
      expect(shape.fillHistogram.reduce((a, b) => a + b, 0)).toBe(treePages)
      expect({ overflowPages: shape.overflowPages, overflowChains: shape.overflowChains }).toEqual({ overflowPages: 3, overflowChains: 1 })
      expect(shape.freePages).toBeGreaterThan(0)
      expect(shape.unaccountedPages).toBe(0)
      expect(2 + treePages + shape.overflowPages + shape.freeListPages + shape.freePages).toBe(shape.pageCount)

      const printed = lines((await tinydbIn(dir, 'inspect', 'tree')).stdout)
      expect(printed[0]).toBe(`tree: root page ${shape.rootPageId}, depth 2, 1001 keys, page size 4096`)
      expect(printed[1]).toBe('level 0: 1 branch page')
      expect(printed).toContain('overflow pages: 3 (in 1 chains)')
      expect(printed).toContainEqual(expect.stringMatching(/^ {3}0-10% \| +\d+/))
      expect(printed).toContainEqual(expect.stringMatching(/^ 90-100% \| +\d+/))
      expect(printed.at(-1)).toBe(
        `pages: ${shape.pageCount} = 2 meta + ${treePages} tree + 3 overflow + ${shape.freeListPages} free-list + ${shape.freePages} free`,
      )
    }))

  it('reports an empty tree, and a one-leaf tree', () =>
    withTempDir(async (dir) => {
      await seed(dir, [])
      expect(lines((await tinydbIn(dir, 'inspect', 'tree')).stdout)[0]).toBe('tree: empty (the live checkpoint has no root page)')
      await seed(dir, [['a', '1']])
      const shape = await treeJson(dir)
      expect(shape).toMatchObject({ depth: 1, keys: 1, levels: [{ level: 0, branchPages: 0, leafPages: 1 }], unaccountedPages: 0 })
    }))
})
