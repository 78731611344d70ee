import { Command } from 'commander'
import { inspectMeta } from '@tinydb/pager'
import type { MetaInspection, MetaSlotInspection } from '@tinydb/pager'
import { dataDir } from '../data-dir.js'
import { crcVerdict } from '../inspect/format.js'
import { printLine } from '../io.js'
import { withReadOnlyStore } from '../read-only-store.js'

export function metaLines(inspection: MetaInspection): string[] {
  const { file, fileSize, pageSize, formatVersion, pageChecksum, slots, live, why } = inspection
  const format = formatVersion === undefined ? '' : `, format version ${formatVersion}: pages checksummed with ${pageChecksum ?? 'unknown'}, meta pages with CRC-32C`
  const lines = [`data file: ${file} (${fileSize} bytes, page size ${pageSize ?? 'unknown'}${format})`]
  for (const slot of slots) lines.push(...slotLines(slot, slot.slot === live))
  lines.push(live === undefined ? `live: none — ${why}` : `live: meta page ${live} — ${why}`)
  return lines
}

function slotLines(slot: MetaSlotInspection, isLive: boolean): string[] {
  const title = `meta page ${slot.slot}: ${slot.status}${slot.reason === undefined ? '' : ` (${slot.reason})`}${isLive ? ' [LIVE]' : ''}`
  const lines = [title, `  crc: ${crcVerdict(slot.storedCrc, slot.computedCrc)}`]
  const meta = slot.meta
  if (meta !== undefined) {
    lines.push(
      `  checkpoint id: ${meta.checkpointId}`,
      `  checkpoint lsn: ${meta.checkpointLsn}`,
      `  root page: ${meta.rootPageId === 0 ? '0 (empty tree)' : meta.rootPageId}`,
      `  page count: ${meta.pageCount}`,
      `  free list head: ${meta.freeListPageId === 0 ? '0 (no free pages)' : `page ${meta.freeListPageId}`}, ${meta.freePageCount} free pages`,
    )
  }
  return lines
}

export function inspectMetaCommand(): Command {
  return new Command('meta')
    .description('show both meta pages (checkpoint id and LSN, root, page count, free list, checksum) and which one is live and why')
    .option('--json', 'print the inspection as JSON, for scripts')
    .action(async (options: { json?: boolean }, command: Command) => {
      const inspection = await withReadOnlyStore(dataDir(command), ({ vfs, layout }) => inspectMeta(vfs, layout.dataPath))
      if (options.json === true) printLine(JSON.stringify(inspection, null, 2))
      else for (const line of metaLines(inspection)) printLine(line)
    })
}
