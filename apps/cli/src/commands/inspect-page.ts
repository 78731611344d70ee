import { Command } from 'commander'
import type { TreePageInspection } from '@tinydb/kv'
import { integerAtLeast } from '../arguments.js'
import { dataDir } from '../data-dir.js'
import { CommandFailure } from '../failure.js'
import { bytesJson, crcVerdict, hexDump, preview } from '../inspect/format.js'
import { liveCheckpoint, readDecodedPage } from '../inspect/page-reader.js'
import type { DecodedPage, LiveCheckpoint } from '../inspect/page-reader.js'
import { printLine } from '../io.js'
import { withReadOnlyStore } from '../read-only-store.js'

/** The page's role in the live checkpoint, which its bytes alone cannot tell. */
function role(pageId: number, live: LiveCheckpoint): string | undefined {
  if (pageId < 2) return 'a meta page: its fields are decoded by `tinydb inspect meta`'
  if (live.freeList.freePageIds.includes(pageId)) return 'FREE in the live checkpoint: no tree references it, its bytes are a stale copy'
  if (live.freeList.chainPageIds.includes(pageId)) return 'part of the live checkpoint\'s free list'
  if (pageId === live.meta.rootPageId) return 'the ROOT of the live tree'
  return undefined
}

/** `slot 3 @4012`, with the stored key head when the page has them: `slot 3 @4012 head 6b657931`. */
function slotLabel(cell: { readonly slot: number; readonly offset: number; readonly head?: number }): string {
  const head = cell.head === undefined ? '' : ` head ${cell.head.toString(16).padStart(8, '0')}`
  return `slot ${cell.slot} @${cell.offset}${head}`
}

function slotsText(space: { readonly keyHeads: boolean; readonly keyHeadPrefix: number }): string {
  if (!space.keyHeads) return 'slots (offsets)'
  return `slots (offsets, then key heads${space.keyHeadPrefix === 0 ? '' : ` after the ${space.keyHeadPrefix}-byte prefix all keys share`})`
}

function treeLines(tree: TreePageInspection): string[] {
  if (tree.kind === 'unknown') return []
  if (tree.kind === 'overflow') {
    return [
      `overflow: ${tree.chunkLength} of ${tree.capacity} value bytes on this page, next page ${tree.nextPageId === 0 ? '0 (last of the chain)' : tree.nextPageId}`,
      ...(tree.problem === undefined ? [] : [`problem: ${tree.problem}`]),
    ]
  }
  const { space } = tree
  const percent = ((100 * space.usedBytes) / space.usableBytes).toFixed(1)
  const lines = [
    `${tree.kind}: ${space.cellCount} cells; ${slotsText(space)} end at body offset ${space.slotsEnd}, cells start at ${space.cellAreaStart} (body offset = page offset - 16)`,
    `space: ${space.usedBytes} of ${space.usableBytes} bytes used (${percent}%), ${space.freeBytes} free, ${space.fragmentedBytes} fragmented`,
  ]
  if (tree.problem !== undefined) lines.push(`problem: ${tree.problem}`)
  if (tree.kind === 'branch') {
    lines.push(`child 0 (keys below the first separator): page ${tree.leftmostChildPageId}`)
    for (const cell of tree.cells) lines.push(`${slotLabel(cell)}: key=${preview(cell.key)} -> child page ${cell.childPageId}`)
  } else {
    for (const cell of tree.cells) {
      const value = cell.value === undefined ? `overflow chain at page ${cell.overflowPageId} (${cell.valueLength} bytes)` : `value=${preview(cell.value)}`
      lines.push(`${slotLabel(cell)}: key=${preview(cell.key)} ${value}`)
    }
  }
  return lines
}

export function pageLines(page: DecodedPage, live: LiveCheckpoint, hex: boolean): string[] {
  const { raw } = page
  const lines = [
    `page ${raw.pageId} (page size ${raw.pageSize}, file offset ${raw.pageId * raw.pageSize})`,
    `header: id ${raw.storedPageId}, type ${raw.type} (${page.typeName}), written by checkpoint ${raw.writtenBy}, crc ${crcVerdict(raw.storedCrc, raw.computedCrc)}`,
  ]
  if (raw.storedPageId !== raw.pageId) lines.push(`problem: the header names page ${raw.storedPageId} (a misplaced or stale write)`)
  const roleText = role(raw.pageId, live)
  if (roleText !== undefined) lines.push(`role: ${roleText}`)
  if (page.tree !== undefined) lines.push(...treeLines(page.tree))
  if (hex) lines.push('hex (header: crc, page id, type, 3 reserved, written by; then the body):', ...hexDump(raw.bytes))
  return lines
}

function treeJson(tree: TreePageInspection | undefined): unknown {
  if (tree === undefined || tree.kind === 'unknown' || tree.kind === 'overflow') return tree
  if (tree.kind === 'branch') return { ...tree, cells: tree.cells.map((cell) => ({ ...cell, key: bytesJson(cell.key) })) }
  return {
    ...tree,
    cells: tree.cells.map((cell) => ({ ...cell, key: bytesJson(cell.key), ...(cell.value === undefined ? {} : { value: bytesJson(cell.value) }) })),
  }
}

export function pageJson(page: DecodedPage, live: LiveCheckpoint, hex: boolean): unknown {
  const { bytes: _bytes, body: _body, ...header } = page.raw
  return {
    ...header,
    typeName: page.typeName,
    role: role(page.raw.pageId, live) ?? null,
    content: treeJson(page.tree) ?? null,
    ...(hex ? { hex: Buffer.from(page.raw.bytes).toString('hex') } : {}),
  }
}

export function inspectPageCommand(): Command {
  return new Command('page')
    .description('decode one page: header, type, checksum, keys and slots (children of a branch), free space')
    .argument('<id>', 'page id (0 and 1 are the meta pages)', integerAtLeast(0))
    .option('--hex', 'add a hex dump of the whole page')
    .option('--json', 'print the inspection as JSON, for scripts')
    .action(async (pageId: number, options: { hex?: boolean; json?: boolean }, command: Command) => {
      const { page, live } = await withReadOnlyStore(dataDir(command), async (store) => {
        const live = await liveCheckpoint(store)
        if (pageId >= live.meta.pageCount) {
          throw new CommandFailure(`error: page ${pageId} does not exist: the live checkpoint has ${live.meta.pageCount} pages (0..${live.meta.pageCount - 1})`)
        }
        return { page: await readDecodedPage(store, pageId, live), live }
      })
      const hex = options.hex === true
      if (options.json === true) printLine(JSON.stringify(pageJson(page, live, hex), null, 2))
      else for (const line of pageLines(page, live, hex)) printLine(line)
    })
}
