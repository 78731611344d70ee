/**
 * Serializes read-write transactions against every other write, first come first served.
 *
 * Plain writes (`put`, `del`, `batch`) share the gate: any number run at once, so their log records
 * still gather into one commit group. A transaction holds it alone, from before it reads until its
 * record is applied: nothing else changes the tree while its callback runs, which is what makes
 * read-modify-write transactions serializable (LMDB's single writer, without a lock across
 * processes). A write that arrives while a transaction waits queues behind it, so a steady stream
 * of plain writes cannot starve a transaction.
 */
export class WriteGate {
  private shared = 0
  private exclusive = false
  private readonly waiting: Array<{ readonly exclusive: boolean; readonly admit: () => void }> = []

  /** Undefined when the write may go at once — the common case costs no promise. */
  enterShared(): Promise<void> | undefined {
    if (!this.exclusive && this.waiting.length === 0) {
      this.shared++
      return undefined
    }
    return new Promise((resolve) => {
      const admit = (): void => {
        this.shared++
        resolve()
      }
      this.waiting.push({ exclusive: false, admit })
    })
  }

  leaveShared(): void {
    this.shared--
    this.admitWaiting()
  }

  enterExclusive(): Promise<void> {
    return new Promise((resolve) => {
      const admit = (): void => {
        this.exclusive = true
        resolve()
      }
      this.waiting.push({ exclusive: true, admit })
      this.admitWaiting()
    })
  }

  leaveExclusive(): void {
    this.exclusive = false
    this.admitWaiting()
  }

  /** Admits from the head of the queue: every plain write up to the first transaction, or that transaction once the gate is empty. */
  private admitWaiting(): void {
    while (!this.exclusive) {
      const head = this.waiting[0]
      if (head === undefined) return
      if (head.exclusive && this.shared > 0) return
      this.waiting.shift()
      head.admit()
    }
  }
}
