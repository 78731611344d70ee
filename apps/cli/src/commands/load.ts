import { Command } from 'commander'
import { open as openFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { fstatSync } from 'node:fs'
import type { BatchOperation, Db } from '@tinydb/engine'
import { TinyDbError } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { CommandFailure } from '../failure.js'
import { printErrorLine } from '../io.js'
import { JSONL_HELP, decodeEntry } from '../jsonl.js'
import { startProgress } from '../progress.js'
import type { Progress } from '../progress.js'
import { withStore } from '../store.js'

/** Entries per `db.batch`; each batch is one durable log record (one fdatasync). */
export const LOAD_BATCH_ENTRIES = 1000
/** A batch is also cut before it would pass this many key+value bytes, well under the engine's 64 MiB batch limit. */
const LOAD_BATCH_BYTES = 32 * 1024 * 1024

export function loadCommand(): Command {
  return new Command('load')
    .description('write JSON Lines entries (as made by `tinydb dump`) into the store')
    .argument('[file]', 'the input file; stdin when omitted or "-"')
    .addHelpText(
      'after',
      `${JSONL_HELP}
Blank lines are skipped; any other line must be exactly such an object.

Entries are written in batches of ${LOAD_BATCH_ENTRIES} (fewer when values are large); each batch
is durable before the next is read. Existing keys are overwritten; other keys are kept.
At the end "loaded N entries" is printed on stderr.
A malformed line stops the load with exit 1 and an error naming its line number: the batches
completed before it stay written, nothing of the batch containing that line is written.
A progress bar is shown on stderr when it is a terminal (not under CI; NO_COLOR removes colour).`,
    )
    .action(async (file: string | undefined, _options: unknown, command: Command) => {
      const input = await openInput(file)
      try {
        const loaded = await withStore(dataDir(command), (db) => load(db, input))
        printErrorLine(`loaded ${loaded} entries`)
      } finally {
        input.stream.destroy()
      }
    })
}

interface Input {
  readonly stream: Readable
  /** Bytes the stream will deliver, when known (a regular file). */
  readonly size: number | undefined
}

/** Opens the input before the store, so a missing file fails without touching the store. */
async function openInput(file: string | undefined): Promise<Input> {
  if (file === undefined || file === '-') {
    const stat = fstatSync(0)
    return { stream: process.stdin, size: stat.isFile() ? stat.size : undefined }
  }
  try {
    const handle = await openFile(file, 'r')
    const stat = await handle.stat()
    return { stream: handle.createReadStream(), size: stat.isFile() ? stat.size : undefined }
  } catch (error) {
    throw new CommandFailure(`error: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

async function load(db: Db, input: Input): Promise<number> {
  let bytesRead = 0
  let readError: unknown
  input.stream.on('data', (chunk: Buffer | string) => (bytesRead += chunk.length))
  const lines = createInterface({ input: input.stream, crlfDelay: Number.POSITIVE_INFINITY })
  // readline does not pass on errors of its input: remember the error and end the line loop.
  input.stream.on('error', (error) => {
    readError = error
    lines.close()
  })
  const progress = startProgress({ label: 'load', total: input.size, detail: '{entries} entries', payload: { entries: 0 } })
  let loaded = 0
  let batch: BatchOperation[] = []
  let batchBytes = 0
  let batchFirstLine = 1
  let batchLastLine = 0
  let lineNumber = 0
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    await writeBatch(db, batch, batchFirstLine, batchLastLine, loaded)
    loaded += batch.length
    batch = []
    batchBytes = 0
    progress.update(bytesRead, { entries: loaded })
  }
  try {
    for await (const line of lines) {
      lineNumber++
      if (line.trim() === '') continue
      let entry
      try {
        entry = decodeEntry(line, lineNumber)
      } catch (error) {
        throw withLoadedCount(error, loaded)
      }
      const size = entry.key.length + entry.value.length
      if (batch.length > 0 && (batch.length >= LOAD_BATCH_ENTRIES || batchBytes + size > LOAD_BATCH_BYTES)) await flush()
      if (batch.length === 0) batchFirstLine = lineNumber
      batch.push({ type: 'put', key: entry.key, value: entry.value })
      batchBytes += size
      batchLastLine = lineNumber
    }
    if (readError !== undefined) {
      throw new CommandFailure(`error: reading the input after line ${lineNumber}: ${String(readError)} (${loaded} entries were loaded)`)
    }
    await flush()
    return loaded
  } finally {
    progress.stop()
    lines.close()
  }
}

async function writeBatch(db: Db, batch: readonly BatchOperation[], firstLine: number, lastLine: number, loaded: number): Promise<void> {
  try {
    await db.batch(batch)
  } catch (error) {
    if (TinyDbError.isInstance(error)) {
      throw new CommandFailure(
        `error: ${error.code}: ${error.message} (in the batch of lines ${firstLine}..${lastLine}, which was not written; ${loaded} entries were loaded)`,
      )
    }
    throw error
  }
}

function withLoadedCount(error: unknown, loaded: number): unknown {
  if (!(error instanceof CommandFailure)) return error
  return new CommandFailure(`${error.message}\n${loaded} entries were loaded (the batches before that line); the rest were not`, error.exitCode)
}
