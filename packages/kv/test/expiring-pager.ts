import type { CheckpointTarget, Page, PageAccounting, PageRetention, Pager, PagerMeta, PagerStats, PendingCheckpoint } from '@tinydb/pager'

/** What an expired page's body is filled with: a zero byte would still read as an empty page. */
const EXPIRED_BYTE = 0xee

/** A page handed out by `ExpiringPager`: its own copy, destroyed when it expires. */
class ExpiringPage implements Page {
  constructor(
    public id: number,
    public type: number,
    readonly body: Uint8Array,
  ) {}
}

/**
 * The page-lifetime rule of `Page.body`, enforced on any pager: a page that is not writable is
 * valid only until the next `read` or `allocate`. Each such read returns a copy, and the next
 * `read` or `allocate` destroys every copy handed out before it (body overwritten, id and type
 * made invalid) — what a pager that recycles buffers (FilePager) may do at worst, made certain.
 * A caller that keeps using a page past its lifetime then reads garbage and fails its checks.
 * Writable pages are the inner pager's own (they must be modified in place) and stay valid.
 */
export class ExpiringPager implements Pager {
  /** Pages handed out since the last `read` or `allocate`; expired by the next one. */
  private live: ExpiringPage[] = []
  /** Pages destroyed so far: proof that the rule was exercised. */
  expired = 0

  constructor(readonly inner: Pager) {}

  get pageSize(): number {
    return this.inner.pageSize
  }

  get bodySize(): number {
    return this.inner.bodySize
  }

  get meta(): PagerMeta {
    return this.inner.meta
  }

  get unsealedPages(): number {
    return this.inner.unsealedPages
  }

  read(pageId: number): Page {
    this.expire()
    const page = this.inner.read(pageId)
    if (this.inner.isWritable(pageId)) return page
    const copy = new ExpiringPage(page.id, page.type, page.body.slice())
    this.live.push(copy)
    return copy
  }

  allocate(type: number): Page {
    this.expire()
    return this.inner.allocate(type)
  }

  isWritable(pageId: number): boolean {
    return this.inner.isWritable(pageId)
  }

  free(pageId: number): void {
    this.inner.free(pageId)
  }

  beginCheckpoint(target: CheckpointTarget): PendingCheckpoint {
    return this.inner.beginCheckpoint(target)
  }

  retain(): PageRetention {
    return this.inner.retain()
  }

  accounting(): PageAccounting {
    return this.inner.accounting()
  }

  get dirtyPages(): number {
    return this.inner.dirtyPages
  }

  stats(): PagerStats {
    return this.inner.stats()
  }

  close(): Promise<void> {
    this.expire()
    return this.inner.close()
  }

  private expire(): void {
    for (const page of this.live) {
      page.body.fill(EXPIRED_BYTE)
      page.id = -1
      page.type = 0
      this.expired++
    }
    this.live = []
  }
}
