/**
 * The pages that are reusable now: free in the durable checkpoint and in the current state. A set
 * with a min-heap beside it, so allocation hands out the lowest free id first: new pages cluster at
 * the front of the file, which keeps it compact and lets a checkpoint coalesce adjacent pages into
 * one write.
 */
export class FreePages {
  private readonly heap: number[] = []
  private readonly members = new Set<number>()

  constructor(pageIds: Iterable<number> = []) {
    for (const id of pageIds) this.add(id)
  }

  get size(): number {
    return this.members.size
  }

  has(pageId: number): boolean {
    return this.members.has(pageId)
  }

  /** Adds a page; adding one that is already free is a caller bug (a double free) and is refused. */
  add(pageId: number): void {
    if (this.members.has(pageId)) throw new RangeError(`page ${pageId} is already free`)
    this.members.add(pageId)
    const heap = this.heap
    let index = heap.push(pageId) - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      const parentId = heap[parent]!
      if (parentId <= pageId) break
      heap[index] = parentId
      index = parent
    }
    heap[index] = pageId
  }

  /** Removes and returns the lowest free page id, or undefined when none is free. */
  takeLowest(): number | undefined {
    const heap = this.heap
    const lowest = heap[0]
    if (lowest === undefined) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      let index = 0
      for (;;) {
        const left = 2 * index + 1
        if (left >= heap.length) break
        const right = left + 1
        const child = right < heap.length && heap[right]! < heap[left]! ? right : left
        if (heap[child]! >= last) break
        heap[index] = heap[child]!
        index = child
      }
      heap[index] = last
    }
    this.members.delete(lowest)
    return lowest
  }

  /** The free page ids, in no particular order (a copy). */
  toArray(): number[] {
    return this.heap.slice()
  }
}
