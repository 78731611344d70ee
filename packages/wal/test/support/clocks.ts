import { seededRandom } from './fixtures.js'

/** A clock that stands still until the test moves it: 'auto' then sees exactly the time a test scripts. */
export class ManualClock {
  private ms = 0
  readonly read = (): number => this.ms

  advance(ms: number): void {
    this.ms += ms
  }
}

/**
 * A clock for crash runs: every reading moves it on by a seeded step, mostly a few microseconds,
 * now and then a stall of up to 3 ms (a preempted thread, a garbage collection). 'auto' then
 * meets idle and busy loop turns and fast and slow writes, and makes the same choices in the run
 * that counts the I/O operations and in every run that crashes at one of them.
 */
export function seededClock(seed: number): () => number {
  const random = seededRandom(seed)
  let ms = 0
  return () => {
    ms += random() < 0.05 ? random() * 3 : random() * 0.05
    return ms
  }
}
