import { Command } from 'commander'
import { dataDir } from '../data-dir.js'
import { liveCheckpoint } from '../inspect/page-reader.js'
import { walkTree } from '../inspect/tree-walk.js'
import type { TreeShape } from '../inspect/tree-walk.js'
import { printLine } from '../io.js'
import { withReadOnlyStore } from '../read-only-store.js'

const BAR_WIDTH = 40

export function treeLines(shape: TreeShape): string[] {
  const lines = [
    shape.rootPageId === 0
      ? 'tree: empty (the live checkpoint has no root page)'
      : `tree: root page ${shape.rootPageId}, depth ${shape.depth}, ${shape.keys} keys, page size ${shape.pageSize}`,
  ]
  for (const level of shape.levels) {
    const kinds = [level.branchPages > 0 ? `${level.branchPages} branch` : '', level.leafPages > 0 ? `${level.leafPages} leaf` : ''].filter((text) => text !== '')
    lines.push(`level ${level.level}: ${kinds.join(' + ')} page${level.branchPages + level.leafPages === 1 ? '' : 's'}`)
  }
  const most = Math.max(1, ...shape.fillHistogram)
  lines.push('fill factor of leaf and branch pages (used bytes / bytes a page can hold):')
  shape.fillHistogram.forEach((pages, tenth) => {
    const range = `${tenth * 10}-${tenth * 10 + 10}%`.padStart(8)
    lines.push(`${range} | ${String(pages).padStart(6)} ${'#'.repeat(Math.ceil((BAR_WIDTH * pages) / most))}`.trimEnd())
  })
  lines.push(
    `overflow pages: ${shape.overflowPages} (in ${shape.overflowChains} chains)`,
    `free pages: ${shape.freePages} (listed on ${shape.freeListPages} free-list pages)`,
    `pages: ${shape.pageCount} = 2 meta + ${shape.levels.reduce((sum, level) => sum + level.branchPages + level.leafPages, 0)} tree + ` +
      `${shape.overflowPages} overflow + ${shape.freeListPages} free-list + ${shape.freePages} free` +
      (shape.unaccountedPages === 0 ? '' : ` + ${shape.unaccountedPages} UNACCOUNTED`),
  )
  for (const problem of shape.problems) lines.push(`problem: ${problem}`)
  return lines
}

export function inspectTreeCommand(): Command {
  return new Command('tree')
    .description('walk the live tree: depth, pages per level, fill-factor histogram, overflow pages, free pages')
    .option('--json', 'print the inspection as JSON, for scripts')
    .action(async (options: { json?: boolean }, command: Command) => {
      const shape = await withReadOnlyStore(dataDir(command), async (store) => walkTree(store, await liveCheckpoint(store)))
      if (options.json === true) printLine(JSON.stringify(shape, null, 2))
      else for (const line of treeLines(shape)) printLine(line)
    })
}
