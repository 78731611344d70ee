import { Command } from 'commander'
import { inspectMeta } from '@tinydb/pager'
import { decodeBatch } from '@tinydb/recovery'
import type { LogOperation } from '@tinydb/recovery'
import { inspectWal } from '@tinydb/wal'
import type { WalInspection, WalRecordInspection, WalSegmentInspection } from '@tinydb/wal'
import { integerAtLeast } from '../arguments.js'
import { dataDir } from '../data-dir.js'
import { bytesJson, crcVerdict, preview } from '../inspect/format.js'
import { printLine } from '../io.js'
import { withReadOnlyStore } from '../read-only-store.js'

/** A record's operations, or why its payload does not decode (a torn frame's payload usually doesn't). */
type Decoded = { readonly operations: LogOperation[] } | { readonly error: string }

function decode(record: WalRecordInspection, walDir: string): Decoded {
  try {
    return { operations: decodeBatch(record.payload, { file: walDir, lsn: record.lsn }) }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

function operationText(operation: LogOperation): string {
  return operation.type === 'put' ? `put key=${preview(operation.key)} value=${preview(operation.value)}` : `del key=${preview(operation.key)}`
}

function segmentLine(segment: WalSegmentInspection): string {
  const head = `segment ${segment.file} (${segment.size} bytes): ${segment.status}`
  if (segment.status !== 'valid') return segment.detail === undefined ? `${head} (a spare: holds no records of this log)` : `${head} (${segment.detail})`
  return `${head}, first lsn ${segment.firstLsn}, ${segment.recordCount} records, records end at offset ${segment.endOffset}: ${segment.endReason}`
}

export function walLines(inspection: WalInspection, checkpointLsn: number | undefined): string[] {
  const lines = [`log: ${inspection.dir}, ${inspection.segments.length} segment files`]
  for (const segment of inspection.segments) lines.push(segmentLine(segment))
  if (checkpointLsn !== undefined) {
    lines.push(`checkpoint lsn: ${checkpointLsn} (records up to it are in the page file; recovery replays the later ones)`)
  }
  for (const record of inspection.records) {
    const state = checkpointLsn === undefined ? '' : record.lsn <= checkpointLsn ? '  [checkpointed]' : '  [replayed at open]'
    lines.push(
      `lsn ${record.lsn}  ${record.segment} offset ${record.offset}  length ${record.length}  ` +
        `crc ${crcVerdict(record.storedCrc, record.computedCrc)}  group ${record.groupFirstLsn}${state}`,
    )
    const decoded = decode(record, inspection.dir)
    if ('error' in decoded) lines.push(`  undecodable: ${decoded.error}`)
    else if (decoded.operations.length === 1) lines.push(`  ${operationText(decoded.operations[0]!)}`)
    else {
      lines.push(`  batch of ${decoded.operations.length}:`)
      for (const operation of decoded.operations) lines.push(`    ${operationText(operation)}`)
    }
  }
  if (inspection.records.length === 0) lines.push('no records')
  return lines
}

export function walJson(inspection: WalInspection, checkpointLsn: number | undefined): unknown {
  return {
    dir: inspection.dir,
    checkpointLsn,
    segments: inspection.segments,
    records: inspection.records.map((record) => {
      const { payload: _payload, ...fields } = record
      const decoded = decode(record, inspection.dir)
      if ('error' in decoded) return { ...fields, decodeError: decoded.error }
      const operations = decoded.operations.map((operation) =>
        operation.type === 'put'
          ? { type: 'put', key: bytesJson(operation.key), value: bytesJson(operation.value) }
          : { type: 'del', key: bytesJson(operation.key) },
      )
      return { ...fields, operations }
    }),
  }
}

export function inspectWalCommand(): Command {
  return new Command('wal')
    .description('list the log records: LSN, segment file and offset, length, checksum, commit group, decoded operations')
    .option('--from <lsn>', 'start at this LSN', integerAtLeast(0))
    .option('--limit <n>', 'show at most N records', integerAtLeast(1))
    .option('--json', 'print the inspection as JSON, for scripts')
    .action(async (options: { from?: number; limit?: number; json?: boolean }, command: Command) => {
      const { inspection, checkpointLsn } = await withReadOnlyStore(dataDir(command), async ({ vfs, layout }) => {
        const meta = await inspectMeta(vfs, layout.dataPath)
        const live = meta.live === undefined ? undefined : meta.slots[meta.live].meta
        const walInspection = (await vfs.exists(layout.walDir))
          ? await inspectWal(vfs, layout.walDir, { from: options.from, limit: options.limit })
          : { dir: layout.walDir, segments: [], records: [] }
        return { inspection: walInspection, checkpointLsn: live?.checkpointLsn }
      })
      if (options.json === true) printLine(JSON.stringify(walJson(inspection, checkpointLsn), null, 2))
      else for (const line of walLines(inspection, checkpointLsn)) printLine(line)
    })
}
