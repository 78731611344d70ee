import { corruption } from '@tinydb/vfs'

/**
 * The payload of one log record: an atomic batch of puts and deletes. A single `put` or `del` is a
 * batch of one, so the log has one record kind and a batch is atomic by the record's checksum.
 *
 * | offset | size | field                                   |
 * |--------|------|-----------------------------------------|
 * | 0      | 1    | record kind, `RECORD_KIND_BATCH` (1)    |
 * | 1      | 4    | operation count (u32 LE)                |
 * | 5      | …    | operations, back to back                |
 *
 * Operation: `op` u8 (1 put, 2 del), key length u32 LE, key bytes, and for a put value length u32 LE
 * and value bytes. See FORMAT.md.
 */
export const RECORD_KIND_BATCH = 1
export const OP_PUT = 1
export const OP_DEL = 2
const RECORD_HEADER_SIZE = 5
const LENGTH_SIZE = 4

export type LogOperation =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array }

export function encodedBatchSize(operations: readonly LogOperation[]): number {
  let size = RECORD_HEADER_SIZE
  for (const operation of operations) {
    size += 1 + LENGTH_SIZE + operation.key.length
    if (operation.type === 'put') size += LENGTH_SIZE + operation.value.length
  }
  return size
}

export function encodeBatch(operations: readonly LogOperation[]): Uint8Array {
  const bytes = new Uint8Array(encodedBatchSize(operations))
  const view = new DataView(bytes.buffer)
  bytes[0] = RECORD_KIND_BATCH
  view.setUint32(1, operations.length, true)
  let offset = RECORD_HEADER_SIZE
  for (const operation of operations) {
    bytes[offset] = operation.type === 'put' ? OP_PUT : OP_DEL
    view.setUint32(offset + 1, operation.key.length, true)
    bytes.set(operation.key, offset + 1 + LENGTH_SIZE)
    offset += 1 + LENGTH_SIZE + operation.key.length
    if (operation.type === 'put') {
      view.setUint32(offset, operation.value.length, true)
      bytes.set(operation.value, offset + LENGTH_SIZE)
      offset += LENGTH_SIZE + operation.value.length
    }
  }
  return bytes
}

/** Where a record came from, so a malformed one can be reported precisely. */
export interface RecordSite {
  readonly file: string
  readonly lsn: number
}

/**
 * Decodes a record into views of `payload` (no copies). A record that passed the log's checksum but
 * does not parse was written wrong, not torn: it is reported as corruption, never skipped.
 */
export function decodeBatch(payload: Uint8Array, site: RecordSite): LogOperation[] {
  const fail = (what: string) => corruption({ file: site.file }, `log record lsn ${site.lsn}: ${what}`)
  if (payload.length < RECORD_HEADER_SIZE) throw fail(`${payload.length} bytes is shorter than a record header`)
  if (payload[0] !== RECORD_KIND_BATCH) throw fail(`unknown record kind ${payload[0]}`)
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const count = view.getUint32(1, true)
  const operations: LogOperation[] = []
  let offset = RECORD_HEADER_SIZE
  const take = (length: number): Uint8Array => {
    if (offset + length > payload.length) throw fail(`operation ${operations.length} runs past the end of the record`)
    const slice = payload.subarray(offset, offset + length)
    offset += length
    return slice
  }
  const takeLength = (): number => {
    if (offset + LENGTH_SIZE > payload.length) throw fail(`operation ${operations.length} runs past the end of the record`)
    const length = view.getUint32(offset, true)
    offset += LENGTH_SIZE
    return length
  }
  for (let index = 0; index < count; index++) {
    const op = take(1)[0]
    const key = take(takeLength())
    if (op === OP_PUT) operations.push({ type: 'put', key, value: take(takeLength()) })
    else if (op === OP_DEL) operations.push({ type: 'del', key })
    else throw fail(`operation ${index} has unknown type ${op}`)
  }
  if (offset !== payload.length) throw fail(`${payload.length - offset} trailing bytes after ${count} operations`)
  return operations
}
