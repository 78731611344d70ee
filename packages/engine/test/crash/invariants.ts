import type { Db } from '../../src/index.js'
import { applyWrite, type Model, type RunLog } from './workloads.js'

/**
 * The checks of DESIGN.md's invariants after a recovery. Each returns a description of the
 * violation, or undefined; the harness collects them with the seed and crash point that produced
 * them, so a failure can be replayed.
 */

const decoder = new TextDecoder()

/** Every key and value of the store, by a full scan (it also reads every overflow chain). */
export async function snapshot(db: Db): Promise<Model> {
  const state: Model = new Map()
  for await (const [key, value] of db.scan()) state.set(decoder.decode(key), decoder.decode(value))
  return state
}

export function sameState(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false
  for (const [key, value] of a) if (b.get(key) !== value) return false
  return true
}

/** The keys on which two states differ, for failure messages. */
export function stateDiff(actual: Model, expected: Model): string {
  const lines: string[] = []
  for (const [key, value] of expected) {
    const got = actual.get(key)
    if (got !== value) lines.push(`${key}: expected ${value.slice(0, 24)}…, got ${got === undefined ? 'nothing' : `${got.slice(0, 24)}…`}`)
  }
  for (const key of actual.keys()) if (!expected.has(key)) lines.push(`${key}: present, never expected`)
  return lines.slice(0, 8).join('; ')
}

/**
 * Invariants 1, 3 and 4 at once: the recovered state must equal the model after exactly a prefix of
 * the issued writes (log order), and that prefix must reach past every acknowledged write. Batches
 * are single writes here, so "all or nothing" is part of "a prefix". Returns every prefix length
 * that matches (several when a write changed nothing), or a violation.
 */
export function matchPrefix(state: Model, log: RunLog): { lengths: number[] } | { violation: string } {
  let lowest = 0
  for (const index of log.acknowledged) lowest = Math.max(lowest, index + 1)
  const model: Model = new Map()
  for (let index = 0; index < lowest; index++) applyWrite(model, log.issued[index]!)
  const firstDiff = stateDiff(state, model)
  const lengths: number[] = []
  for (let length = lowest; length <= log.issued.length; length++) {
    if (length > lowest) applyWrite(model, log.issued[length - 1]!)
    if (sameState(state, model)) lengths.push(length)
  }
  if (lengths.length > 0) return { lengths }
  return {
    violation:
      `state is no prefix of the ${log.issued.length} issued writes at or after the last acknowledged one ` +
      `(#${lowest}); against that prefix: ${firstDiff}`,
  }
}

/** Invariant 5 as the checker sees it: `db.check()` finds nothing wrong. */
export async function checkClean(db: Db): Promise<string | undefined> {
  const report = await db.check()
  if (report.ok) return undefined
  return `check() found: ${report.problems.map((p) => `${p.file}${p.pageId === undefined ? '' : ` page ${p.pageId}`}: ${p.what}`).join('; ')}`
}
