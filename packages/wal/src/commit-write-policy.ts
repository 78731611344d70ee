/**
 * How the log hands a commit group's write to the disk:
 * - 'inline': with `writeSync` on the JavaScript thread. It saves the thread-pool round trip (a
 *   thread wake-up and an event-loop turn, ~0.1 ms on this project's VMs, as much as the device
 *   flush itself on a fast disk), but nothing else in the process runs until the device has the
 *   bytes: no reader, no timer, no other request.
 * - 'thread-pool': with an asynchronous write on Node's thread pool; the process keeps running.
 * - 'auto' (default): inline while that is cheap — for groups of at most `MAX_INLINE_GROUP_BYTES`
 *   while their writes take under `SLOW_COMMIT_WRITE_MS` on average, and while nothing else in the
 *   process wants the thread (see `BUSY_LOOP_ITERATION_MS`) — else the thread pool.
 */
export type CommitWrites = 'auto' | 'inline' | 'thread-pool'

export const COMMIT_WRITES: readonly CommitWrites[] = ['auto', 'inline', 'thread-pool']

/**
 * Above this average a blocking write costs more than it saves: the round trip it avoids is ~0.1 ms,
 * so at 1 ms it saves at most a tenth of the commit's latency while every other caller of the
 * process waits the whole millisecond per commit. Fast local NVMe and SSD flushes take 0.05–0.3 ms;
 * network volumes (cloud block storage) 1–10 ms, where the thread pool is the right place.
 */
export const SLOW_COMMIT_WRITE_MS = 1

/**
 * Only groups of at most this many bytes are written inline in 'auto': a larger group's write is
 * mostly transfer time, which the round trip hardly adds to. Small groups of concurrent writers go
 * inline too. Writers that each wait for their own commit (apps/bench compare's W2: 64 of them) are
 * all waiting for the group in flight, so the thread has nothing to do meanwhile: on the thread
 * pool it sat idle for 23–30 % of the run, and inline W2 went ~66k → ~72k puts/s (median of 10
 * alternating runs each). Where new work does arrive during a flush (requests of a server), the
 * loop turns between inline commits find the thread busy (`BUSY_LOOP_ITERATION_MS`), and groups go
 * through the thread pool, which leaves the thread to that work meanwhile.
 */
export const MAX_INLINE_GROUP_BYTES = 64 * 1024

/**
 * Between two inline commits 'auto' lets the event loop run one full iteration, and times it. An
 * iteration longer than this means other work of the process — readers, timers, requests — was
 * waiting for the thread: every inline commit would then stall it for a device flush, so small
 * groups go through the thread pool (which leaves the thread free during the flush) for
 * `SHARE_THREAD_MS`, and are judged again after. An idle iteration costs microseconds, so writers
 * alone in their process keep committing inline. Measured with one writer and readers yielding every
 * 64 gets (apps/bench mvcc): without this, readers kept 10 % of their reads; with it, about what
 * they keep beside thread-pool commits.
 */
export const BUSY_LOOP_ITERATION_MS = 0.1

/** How long small groups stay on the thread pool once the process was found busy. */
export const SHARE_THREAD_MS = 10

/**
 * Back-to-back inline commits of a process that has not been found busy let the event loop turn
 * (and time it) once this long has passed since it last turned, not before each commit: the turn is
 * two immediates and two polls, ~15 % of a lone put in a fresh process (apps/bench compare W1, 8
 * runs each: 5,770 → 6,650 puts/s without it). Other work that shows up meanwhile waits at most
 * this long plus one write — as long as one commit to a slow disk takes — before it is found.
 */
export const INLINE_STRETCH_MS = 1

/**
 * Once the process was found busy, back-to-back inline commits let the loop turn before each one
 * again, for this long — past the `SHARE_THREAD_MS` on the thread pool, so that readers that keep
 * coming back are found at the first inline commit after it, not a millisecond later (apps/bench
 * mvcc: readers beside a full-speed writer keep ~70 % of their rate this way, 65 % with the
 * stretch alone). Short, because a turn slowed by something else (a garbage collection, cold code
 * early in a process) also counts as busy.
 */
export const RECENTLY_BUSY_MS = 2 * SHARE_THREAD_MS

/** Weight of a new sample in the moving average: one stall of 16 ms moves it by 1 ms. */
const SAMPLE_WEIGHT = 1 / 16
/** Samples taken since the last switch before the average can switch again (hysteresis). */
const SAMPLES_BEFORE_SWITCH = 8

/**
 * The 'auto' decision, fed the measured duration of each small group's write, however it was made.
 * While inline, the samples are the device's time; once too slow, the group's writes go to the
 * thread pool, and their measured times — the device's plus the round trip, an upper bound on what
 * an inline write would cost — are the probe: when they average under the limit again (a flush
 * stall passed, another process stopped loading the disk), writes go back inline. No blocking probe
 * is ever made on a disk judged slow. Pure: no clock, no I/O.
 */
export class CommitWritePolicy {
  private slow = false
  /** Until when small groups go through the thread pool because the process was busy. */
  private sharingUntil = Number.NEGATIVE_INFINITY
  /** When the event loop was last seen to turn, and last found busy. */
  private lastTurn = Number.NEGATIVE_INFINITY
  private lastBusy = Number.NEGATIVE_INFINITY
  private average = 0
  private samples = 0

  constructor(readonly mode: CommitWrites) {}

  /**
   * Whether to write a group of `bytes` bytes with `writeSync` at time `now`
   * (ms, any monotonic clock shared with `observeLoopIteration`).
   */
  inline(bytes: number, now: number): boolean {
    if (this.mode !== 'auto') return this.mode === 'inline'
    return !this.slow && isSmall(bytes) && now >= this.sharingUntil
  }

  /**
   * A full event-loop iteration between two inline commits took `ms`, ending at `now`: longer than
   * `BUSY_LOOP_ITERATION_MS` means others were waiting for the thread.
   */
  observeLoopIteration(ms: number, now: number): void {
    this.lastTurn = now
    if (ms <= BUSY_LOOP_ITERATION_MS) return
    this.sharingUntil = now + SHARE_THREAD_MS
    this.lastBusy = now
  }

  /** The event loop went round at `now` by itself (the writer yielded, or a write came back through it). */
  loopTurned(now: number): void {
    this.lastTurn = now
  }

  /**
   * Whether an inline commit made at `now`, right after another one with no turn of the event loop
   * between them, must first let the loop turn: always within `RECENTLY_BUSY_MS` of finding the
   * process busy, else once `INLINE_STRETCH_MS` has passed since the loop last turned.
   */
  turnDue(now: number): boolean {
    // 'inline' is for a process that does nothing else: nobody to let the thread go to.
    if (this.mode !== 'auto') return false
    return now - this.lastBusy < RECENTLY_BUSY_MS || now - this.lastTurn >= INLINE_STRETCH_MS
  }

  /** The write of a group of `bytes` bytes took `ms`, inline or not. */
  observe(bytes: number, ms: number): void {
    if (this.mode !== 'auto' || !isSmall(bytes)) return
    this.average = this.samples === 0 ? ms : this.average + (ms - this.average) * SAMPLE_WEIGHT
    this.samples++
    if (this.samples < SAMPLES_BEFORE_SWITCH) return
    const slow = this.average > SLOW_COMMIT_WRITE_MS
    if (slow === this.slow) return
    this.slow = slow
    this.samples = 0
  }

  /**
   * Where the next small group goes (when the process is not found busy), and the moving average of
   * the samples since the last switch (ms).
   */
  get state(): { readonly small: 'inline' | 'thread-pool'; readonly averageMs: number } {
    const small = this.mode === 'auto' ? (this.slow ? 'thread-pool' : 'inline') : this.mode
    return { small, averageMs: this.average }
  }
}

function isSmall(bytes: number): boolean {
  return bytes <= MAX_INLINE_GROUP_BYTES
}
