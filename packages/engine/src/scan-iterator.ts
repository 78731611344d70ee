import type { TreeCursor } from '@tinydb/kv'

type Entry = [key: Uint8Array, value: Uint8Array]

/** The first batch is small, so `limit: 1` or an early `break` reads little; later ones grow to this. */
const FIRST_BATCH = 16
const MAX_BATCH = 512

/**
 * The async iterator behind `db.scan`. It reads entries from the tree cursor in batches, each in one
 * synchronous run, and hands them out one per `next()` as already-settled promises: one cursor run
 * per batch instead of one async-generator resume (and its promise machinery) per entry — about
 * twice the keys per second in W5 of `apps/bench compare`.
 *
 * Consistency is the cursor's: `db.scan` passes a cursor over a snapshot taken when the scan
 * starts, so every entry comes from that one state however the tree changes meanwhile, and
 * `onFinish` releases the snapshot when the scan ends — exhausted, broken out of, or failed.
 */
export class ScanIterator implements AsyncIterableIterator<Entry> {
  private batch: Entry[] = []
  private position = 0
  private batchSize = FIRST_BATCH
  private remaining: number
  private done = false

  constructor(
    private readonly cursor: TreeCursor,
    limit: number,
    /** Throws when the store was closed: a scan does not outlive its store. */
    private readonly assertReadable: () => void,
    /** Called once when the scan ends: exhausted, `return()`ed, or failed. */
    private onFinish?: () => void,
  ) {
    this.remaining = limit
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Entry> {
    return this
  }

  next(): Promise<IteratorResult<Entry>> {
    try {
      return Promise.resolve(this.step())
    } catch (error) {
      this.finish()
      return Promise.reject(error)
    }
  }

  return(): Promise<IteratorResult<Entry>> {
    this.finish()
    return Promise.resolve({ value: undefined, done: true })
  }

  private step(): IteratorResult<Entry> {
    if (this.done) return { value: undefined, done: true }
    this.assertReadable()
    if (this.position === this.batch.length && !this.fill()) {
      this.finish()
      return { value: undefined, done: true }
    }
    const entry = this.batch[this.position] as Entry
    this.batch[this.position++] = undefined as unknown as Entry // let the consumer own it alone
    return { value: entry, done: false }
  }

  /** Reads the next batch; false when the range (or the limit) is exhausted. */
  private fill(): boolean {
    const want = Math.min(this.batchSize, this.remaining)
    this.batchSize = Math.min(MAX_BATCH, this.batchSize * 2)
    this.batch.length = 0
    this.position = 0
    for (let i = 0; i < want; i++) {
      const entry = this.cursor.next()
      if (entry === undefined) break
      this.batch.push(entry)
    }
    this.remaining -= this.batch.length
    return this.batch.length > 0
  }

  private finish(): void {
    this.done = true
    this.batch = []
    this.position = 0
    const onFinish = this.onFinish
    this.onFinish = undefined
    onFinish?.()
  }
}
