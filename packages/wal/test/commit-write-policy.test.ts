import { describe, expect, it } from 'vitest'
import {
  BUSY_LOOP_ITERATION_MS,
  CommitWritePolicy,
  INLINE_STRETCH_MS,
  MAX_INLINE_GROUP_BYTES,
  RECENTLY_BUSY_MS,
  SHARE_THREAD_MS,
} from '../src/commit-write-policy.js'

/** A lone writer's group: one record. */
const LONE = [200] as const

/** Feeds `count` lone-group samples of `ms` each, written as the policy decides. */
function feed(policy: CommitWritePolicy, count: number, ms: number): void {
  for (let i = 0; i < count; i++) policy.observe(...LONE, ms)
}

describe('CommitWritePolicy', () => {
  it("'inline' and 'thread-pool' decide the same whatever is measured", () => {
    const inline = new CommitWritePolicy('inline')
    const pool = new CommitWritePolicy('thread-pool')
    for (const policy of [inline, pool]) feed(policy, 100, 50)
    expect(inline.inline(10 * MAX_INLINE_GROUP_BYTES, 1000)).toBe(true)
    expect(inline.inline(...LONE, 0)).toBe(true)
    expect(pool.inline(...LONE, 0)).toBe(false)
    expect(pool.state.small).toBe('thread-pool')
  })

  it("'auto' writes small groups inline, a lone writer's and concurrent writers' alike, and large ones on the thread pool", () => {
    const policy = new CommitWritePolicy('auto')
    expect(policy.inline(184, 0)).toBe(true)
    expect(policy.inline(64 * 184, 0)).toBe(true)
    expect(policy.inline(MAX_INLINE_GROUP_BYTES, 0)).toBe(true)
    expect(policy.inline(MAX_INLINE_GROUP_BYTES + 1, 0)).toBe(false)
  })

  it("'auto' shares the thread for a while after a busy loop iteration; idle iterations change nothing; 'inline' ignores both", () => {
    const auto = new CommitWritePolicy('auto')
    auto.observeLoopIteration(BUSY_LOOP_ITERATION_MS, 1000) // idle enough
    expect(auto.inline(...LONE, 1000)).toBe(true)
    auto.observeLoopIteration(BUSY_LOOP_ITERATION_MS + 0.01, 2000)
    expect(auto.inline(...LONE, 2000)).toBe(false)
    expect(auto.inline(...LONE, 2000 + SHARE_THREAD_MS - 0.01)).toBe(false)
    expect(auto.inline(...LONE, 2000 + SHARE_THREAD_MS)).toBe(true)
    expect(auto.state.small).toBe('inline') // a busy process says nothing about the disk
    const inline = new CommitWritePolicy('inline')
    inline.observeLoopIteration(50, 0)
    expect(inline.inline(...LONE, 1)).toBe(true)
  })

  it('asks back-to-back inline commits to let the loop turn once INLINE_STRETCH_MS has passed since it last turned', () => {
    const policy = new CommitWritePolicy('auto')
    expect(policy.turnDue(0)).toBe(true) // the loop was never seen to turn
    policy.loopTurned(100)
    expect(policy.turnDue(100)).toBe(false)
    expect(policy.turnDue(100 + INLINE_STRETCH_MS - 0.01)).toBe(false)
    expect(policy.turnDue(100 + INLINE_STRETCH_MS)).toBe(true)
    // A timed turn counts as a turn, busy or not.
    policy.observeLoopIteration(BUSY_LOOP_ITERATION_MS / 2, 200)
    expect(policy.turnDue(200 + INLINE_STRETCH_MS / 2)).toBe(false)
  })

  it('asks for a turn before every back-to-back inline commit for RECENTLY_BUSY_MS after finding the process busy', () => {
    const policy = new CommitWritePolicy('auto')
    policy.observeLoopIteration(BUSY_LOOP_ITERATION_MS * 2, 300)
    expect(policy.inline(...LONE, 300 + INLINE_STRETCH_MS / 2)).toBe(false) // sharing the thread
    expect(policy.turnDue(300)).toBe(true)
    expect(policy.turnDue(300 + RECENTLY_BUSY_MS - 0.01)).toBe(true)
    // Idle turns since do not shorten it: what counts is when the process was last found busy.
    policy.observeLoopIteration(BUSY_LOOP_ITERATION_MS / 2, 300 + RECENTLY_BUSY_MS / 2)
    expect(policy.turnDue(300 + RECENTLY_BUSY_MS / 2)).toBe(true)
    policy.loopTurned(300 + RECENTLY_BUSY_MS)
    expect(policy.turnDue(300 + RECENTLY_BUSY_MS)).toBe(false) // back to the stretch
    expect(policy.turnDue(300 + RECENTLY_BUSY_MS + INLINE_STRETCH_MS)).toBe(true)
    // 'inline' never asks: it is for a process that does nothing else.
    const inline = new CommitWritePolicy('inline')
    inline.observeLoopIteration(BUSY_LOOP_ITERATION_MS * 2, 0)
    expect([inline.turnDue(0), inline.turnDue(1000)]).toEqual([false, false])
  })

  it("'auto' keeps a fast disk inline through occasional stalls", () => {
    const policy = new CommitWritePolicy('auto')
    for (let i = 0; i < 1000; i++) policy.observe(...LONE, i % 100 === 99 ? 8 : 0.1)
    expect(policy.state.small).toBe('inline')
    expect(policy.inline(...LONE, 0)).toBe(true)
  })

  it("'auto' moves to the thread pool once inline writes average over 1 ms, judged after 8 samples", () => {
    const policy = new CommitWritePolicy('auto')
    feed(policy, 7, 3)
    expect(policy.inline(...LONE, 0)).toBe(true) // seven samples are not yet enough to judge
    feed(policy, 1, 3)
    expect(policy.inline(...LONE, 0)).toBe(false)
    expect(policy.state).toEqual({ small: 'thread-pool', averageMs: 3 })
  })

  it("'auto' does not switch on a sustained average just under the limit", () => {
    const policy = new CommitWritePolicy('auto')
    feed(policy, 200, 0.99)
    expect(policy.state.small).toBe('inline')
    feed(policy, 200, 1.01)
    expect(policy.state.small).toBe('thread-pool')
  })

  it("'auto' goes back inline when the thread pool's writes, an upper bound on the device's time, fall under the limit", () => {
    const policy = new CommitWritePolicy('auto')
    feed(policy, 8, 5)
    expect(policy.state.small).toBe('thread-pool')
    // The slow period's average does not carry over: judged on 8 fresh samples.
    feed(policy, 7, 0.3)
    expect(policy.state.small).toBe('thread-pool')
    feed(policy, 1, 0.3)
    expect(policy.state.small).toBe('inline')
  })

  it("'auto' stays on the thread pool while the disk stays slow, and ignores samples of large groups", () => {
    const policy = new CommitWritePolicy('auto')
    feed(policy, 8, 4)
    feed(policy, 1000, 2.5)
    for (let i = 0; i < 100; i++) policy.observe(MAX_INLINE_GROUP_BYTES + 1, 0.01) // their time is transfer time
    expect(policy.state.small).toBe('thread-pool')
    expect(policy.state.averageMs).toBeCloseTo(2.5, 6)
  })

  it('one long stall moves the average by its 16th: a 20 ms stall among 0.1 ms writes switches, an 8 ms one does not', () => {
    const eight = new CommitWritePolicy('auto')
    feed(eight, 20, 0.1)
    eight.observe(...LONE, 8)
    expect(eight.state.small).toBe('inline')
    const twenty = new CommitWritePolicy('auto')
    feed(twenty, 20, 0.1)
    twenty.observe(...LONE, 20)
    expect(twenty.state.small).toBe('thread-pool')
  })
})
