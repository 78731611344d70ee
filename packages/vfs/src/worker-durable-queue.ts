import { constants as osConstants } from 'node:os'
import { TinyDbError, ioError } from './errors.js'
import { packSequence, type PackedSequence } from './durable-layout.js'
import { CANCELLED, DURABLE, QUEUED } from './durable-protocol.js'
import { durableWorker, type SequenceOutcome } from './durable-worker.js'
import { poisoned } from './inline-durable-queue.js'
import { StagingPool } from './staging-pool.js'
import type { DurableStep, QueuedDurable } from './vfs.js'

let lastFileId = 0

/**
 * `VfsFile.queueDurable` of one NodeFile, run on the durable-write worker (durable-worker.ts), so
 * it progresses while this thread is busy. Same semantics as InlineDurableQueue: in queue order;
 * the first failure rejects its sequence with what the plain call would throw and poisons the
 * file — sequences queued later reject POISONED here at once, and those already posted are skipped
 * by the worker without I/O.
 */
export class WorkerDurableQueue {
  /** Names this file to the worker, which poisons by it: fd numbers are reused after a close. */
  private readonly fileId = ++lastFileId
  private failure: TinyDbError | undefined
  /** The worker holds a poison mark for this file (to drop when it closes). */
  private markedInWorker = false
  private closing = false
  /**
   * Per sequence not yet settled: a promise resolving (never rejecting) when it settles, and its
   * state word (a durable one needs no waiting for: the worker is done with the fd).
   */
  private readonly unsettled = new Map<Promise<void>, Int32Array>()
  /** This file's sequences' memories, reused (a file's checkpoints are alike in size). */
  private readonly stagingPool = new StagingPool()

  constructor(private readonly path: string) {}

  /** Queues `steps` on `fd`, the file's descriptor (the file owns it, and closes it after `close`). */
  queue(fd: number, steps: readonly DurableStep[]): QueuedDurable {
    if (this.failure !== undefined) return refused(poisoned(this.path, this.failure))
    // Closing (or closed): the fd may be closed, and then reused by another file.
    if (this.closing) return this.refuse(ioError('write', this.path, badDescriptor()))
    let packed: PackedSequence
    try {
      packed = packSequence(steps, this.path, (bytes) => this.stagingPool.take(bytes))
    } catch (error) {
      return this.refuse(ioError('write', this.path, error)) // INVALID_ARGUMENT passes through as it is
    }

    let settled = false
    /** Settled durable: the state word may belong to another sequence by now (its memory reused). */
    let durable = false
    let resolve!: (result: 'durable' | 'cancelled') => void
    let reject!: (error: TinyDbError) => void
    const done = new Promise<'durable' | 'cancelled'>((onResolve, onReject) => {
      resolve = onResolve
      reject = onReject
    })
    const seq = durableWorker.run({ file: this.fileId, fd, memories: packed.memories, layoutSlots: packed.layoutSlots }, (outcome) => {
      settled = true
      const error = this.failureOf(outcome)
      if (error === undefined) {
        durable = true
        resolve('durable')
      } else {
        reject(error)
      }
      // The worker reported the end: it reads the memory no more ('lost' aside: it may have died
      // anywhere, so that memory is left to the collector).
      if (outcome.outcome !== 'lost') this.stagingPool.give(packed.memories[0]!)
    })
    this.track(done, packed.state)
    return {
      done,
      isDurable: () => durable || (!settled && Atomics.load(packed.state, 0) === DURABLE),
      cancel: () => {
        if (settled || Atomics.compareExchange(packed.state, 0, QUEUED, CANCELLED) !== QUEUED) return false
        settled = true
        durableWorker.abandon(seq)
        resolve('cancelled')
        return true
      },
    }
  }

  /**
   * Marks the queue closing and settles once every sequence queued before has finished with the fd:
   * settled, or durable by its state word (its report may still be on its way; `done` resolves
   * when it arrives). A close need not wait for the event loop to deliver it.
   */
  async close(): Promise<void> {
    this.closing = true
    await Promise.all([...this.unsettled].filter(([, state]) => Atomics.load(state, 0) !== DURABLE).map(([signal]) => signal))
    if (this.markedInWorker) durableWorker.forget(this.fileId)
  }

  /** The error `outcome` rejects with, undefined for `durable`; records the file's first failure. */
  private failureOf(outcome: SequenceOutcome): TinyDbError | undefined {
    switch (outcome.outcome) {
      case 'durable':
        return undefined
      case 'cancelled':
        // Reported only for a sequence this thread cancelled, whose listener is gone by then: heard,
        // it means the worker skipped a sequence nobody withdrew. Nothing says its bytes are durable.
        return (this.failure ??= new TinyDbError(
          'IO',
          `${this.path}: the durable-write worker skipped a queued sequence as cancelled, though it was not; its writes are not known to be durable`,
          { file: this.path },
        ))
      case 'poisoned':
        // The failure that made the worker poison the file was reported (and recorded) before this.
        return poisoned(this.path, this.failure)
      case 'failed': {
        const cause = Object.assign(new Error(outcome.message), definedFields(outcome))
        this.markedInWorker = true
        return (this.failure ??= ioError(outcome.operation, this.path, cause))
      }
      case 'lost':
        // Whatever it was doing is not known to be durable: as after a failed fdatasync, no later
        // sequence may pretend otherwise.
        return (this.failure ??= new TinyDbError(
          'IO',
          `${this.path}: the durable-write worker thread stopped before this queued sequence finished (${outcome.cause.message})`,
          { file: this.path, cause: outcome.cause },
        ))
    }
  }

  private refuse(error: TinyDbError): QueuedDurable {
    this.failure ??= error
    return refused(error)
  }

  private track(done: Promise<unknown>, state: Int32Array): void {
    const signal = done.then(
      () => undefined,
      () => undefined,
    )
    this.unsettled.set(signal, state)
    void signal.then(() => this.unsettled.delete(signal))
  }
}

/** A sequence rejected before anything was posted. */
function refused(error: TinyDbError): QueuedDurable {
  return { done: Promise.reject(error), isDurable: () => false, cancel: () => false }
}

/** Node's errno fields, only those the worker had: an absent `code` must stay absent for ioError. */
function definedFields(report: { code: string | undefined; errno: number | undefined; syscall: string | undefined }): Record<string, string | number> {
  const fields: Record<string, string | number> = {}
  if (report.code !== undefined) fields['code'] = report.code
  if (report.errno !== undefined) fields['errno'] = report.errno
  if (report.syscall !== undefined) fields['syscall'] = report.syscall
  return fields
}

/** What a write on a closed descriptor fails with, as node:fs reports it. */
function badDescriptor(): Error {
  return Object.assign(new Error('EBADF: bad file descriptor, write'), { code: 'EBADF', errno: -osConstants.errno.EBADF, syscall: 'write' })
}
