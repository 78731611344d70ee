import { compareKeys, type BTree } from '@tinydb/kv'
import { TinyDbError } from '@tinydb/vfs'
import { toKey, toKeyRange, toValue, type Limits, type ValidatedOperation } from './arguments.js'
import { OverlayCursor, type BufferedWrite } from './overlay-cursor.js'
import { ScanIterator } from './scan-iterator.js'
import type { Bytes, ScanOptions, Transaction } from './types.js'

/**
 * One read-write transaction: reads see the tree — which nothing else changes while the
 * transaction holds the write gate, so it is the transaction's snapshot — with the transaction's
 * own buffered writes over it. Nothing reaches the log until the callback resolves; then all the
 * writes become one record (see `TinyDb.transaction`).
 */
export class DbTransaction implements Transaction {
  private readonly writes = new Map<string, BufferedWrite>()
  private ended = false

  constructor(
    private readonly tree: BTree,
    private readonly limits: Limits,
    private readonly assertReadable: () => void,
  ) {}

  async get(key: Bytes): Promise<Uint8Array | undefined> {
    return this.getSync(key)
  }

  getSync(key: Bytes): Uint8Array | undefined {
    this.assertActive()
    const bytes = toKey(key, this.limits)
    const write = this.writes.get(mapKey(bytes))
    if (write !== undefined) return write.value?.slice()
    return this.tree.get(bytes)
  }

  put(key: Bytes, value: Bytes): void {
    this.assertActive()
    const bytes = toKey(key, this.limits)
    // Copies: the caller may reuse its buffers before the transaction commits.
    this.writes.set(mapKey(bytes), { key: bytes.slice(), value: toValue(value, this.limits).slice() })
  }

  del(key: Bytes): void {
    this.assertActive()
    const bytes = toKey(key, this.limits)
    this.writes.set(mapKey(bytes), { key: bytes.slice(), value: undefined })
  }

  /** Sees the writes buffered before the scan started; later ones are not merged into it. */
  scan(options?: ScanOptions): AsyncIterableIterator<[key: Uint8Array, value: Uint8Array]> {
    this.assertActive()
    const { range, limit } = toKeyRange(options)
    const cursor = new OverlayCursor(this.tree.cursor(range), this.sortedWrites(), range)
    return new ScanIterator(cursor, limit, () => this.assertActive())
  }

  /** Ends the transaction (every later call throws CLOSED) and returns its writes as one batch, in key order. */
  end(): ValidatedOperation[] {
    this.ended = true
    return this.sortedWrites().map(({ key, value }) => (value === undefined ? { type: 'del', key } : { type: 'put', key, value }))
  }

  private sortedWrites(): BufferedWrite[] {
    return [...this.writes.values()].sort((a, b) => compareKeys(a.key, b.key))
  }

  private assertActive(): void {
    if (this.ended) throw new TinyDbError('CLOSED', 'the transaction has ended: use it only inside its callback')
    this.assertReadable()
  }
}

/** A Map key for bytes: one char per byte, so equal keys map to equal strings. */
function mapKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
