import { Worker } from 'node:worker_threads'
import type { RunMessage, ToWorker, WorkerReport } from './durable-protocol.js'
import { DURABLE_WORKER_SOURCE } from './durable-worker-source.js'

/** What a posted sequence's listener hears, once: the worker's report, or that the worker is gone. */
export type SequenceOutcome = WorkerReport | { readonly seq: number; readonly outcome: 'lost'; readonly cause: Error }

export type SequenceListener = (outcome: SequenceOutcome) => void

/**
 * The one durable-write thread of the process, started on first use. It is ref'd exactly while a
 * posted sequence has a listener: the process cannot exit with a sequence pending, and an idle
 * worker never holds it open. If the thread dies, every listener hears `lost` and the next `run`
 * starts a new one.
 */
export class DurableWorker {
  private thread: Worker | undefined
  private lastSeq = 0
  private readonly listeners = new Map<number, SequenceListener>()

  /** Posts a sequence; returns its seq. */
  run(sequence: Omit<RunMessage, 'kind' | 'seq'>, listener: SequenceListener): number {
    const thread = this.thread ?? this.start()
    const seq = ++this.lastSeq
    this.listeners.set(seq, listener)
    thread.ref()
    const message: ToWorker = { kind: 'run', seq, ...sequence }
    thread.postMessage(message)
    return seq
  }

  /** Stops listening for `seq` (it was cancelled): the worker will skip it, and need not be waited for. */
  abandon(seq: number): void {
    if (this.listeners.delete(seq)) this.unrefWhenIdle()
  }

  /** The file is closed: its poison mark, if any, can go. */
  forget(file: number): void {
    const message: ToWorker = { kind: 'forget', file }
    this.thread?.postMessage(message)
  }

  /**
   * Stops the thread as if it had died: pending sequences hear `lost`. Not needed in normal use
   * (an idle worker does not keep the process alive); tests use it to check a death is survived.
   */
  async terminate(): Promise<void> {
    await this.thread?.terminate()
  }

  private start(): Worker {
    const thread = new Worker(DURABLE_WORKER_SOURCE, {
      eval: true,
      // The parent's flags (a test runner's loaders, inspector ports) are nothing this code needs.
      execArgv: [],
      resourceLimits: WORKER_LIMITS,
    })
    thread.on('message', (report: WorkerReport) => this.deliver(report))
    thread.on('error', (error: Error) => this.lose(thread, error))
    thread.on('exit', (code: number) => this.lose(thread, new Error(`the durable-write worker thread exited with code ${code}`)))
    // A report that cannot be read leaves its sequence waiting for ever: treat it as a death.
    thread.on('messageerror', () => void thread.terminate())
    // After the listeners: adding a 'message' listener refs the thread's port again.
    thread.unref()
    this.thread = thread
    return thread
  }

  private deliver(report: WorkerReport): void {
    const listener = this.listeners.get(report.seq)
    if (listener === undefined) return // abandoned (cancelled), or from a thread already given up
    this.listeners.delete(report.seq)
    this.unrefWhenIdle()
    listener(report)
  }

  private lose(thread: Worker, cause: Error): void {
    if (this.thread !== thread) return // 'error' then 'exit': the first one told everyone
    this.thread = undefined
    const orphans = [...this.listeners]
    this.listeners.clear()
    for (const [seq, listener] of orphans) listener({ seq, outcome: 'lost', cause })
  }

  private unrefWhenIdle(): void {
    if (this.listeners.size === 0) this.thread?.unref()
  }
}

/**
 * The worker allocates little, and briefly (at most 1024 views at a time, small reports): a small
 * young generation keeps its footprint down (RSS of a started worker 9.4 → 8.5 MB, after 15
 * checkpoints of 6,000 buffers 13 → 10 MB). The old generation only gets a ceiling, far above what
 * it uses: a tight one would gain nothing and could kill the worker on a sequence with very many
 * distinct SharedArrayBuffers.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 }

/** Shared by every NodeFile of the process. Constructing it starts nothing. */
export const durableWorker = new DurableWorker()
