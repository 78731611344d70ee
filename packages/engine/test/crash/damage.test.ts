import { describe, expect, it } from 'vitest'
import { Prng } from '@tinydb/vfs'
import { applyDamage, buildDamageBase, DAMAGE_KINDS, drawDamage, readDamaged, type DamageBase } from './damage.js'
import { withDeadline } from './harness.js'
import type { WorkloadSpec } from './workloads.js'

/**
 * Issue 4, item 3: damage at rest. For each base store, seeded cases pick a file (the data file or a
 * log segment), a kind of damage and an offset; then open, get of every key ever written, a full
 * scan and check must each give exactly the right data or a located CORRUPTION error — never a
 * wrong value, never a silently missing key (except the last commit group of an un-checkpointed
 * log, which damage makes indistinguishable from a torn tail — and, the same way, every record from
 * the first damaged one on when the damage destroys all frame headers after it: see
 * `tornLookalike`), never another error, never a hang.
 * `TINYDB_CRASH_LONG=1` runs ten times as many cases.
 */
process.env['TINYDB_VERIFY'] ??= '1' // the pager's self-checks, on in every fault-injection test
const LONG = process.env['TINYDB_CRASH_LONG'] === '1'
const CASES_PER_KIND = LONG ? 1_000 : 100

const KiB = 1024
const bases: readonly { spec: WorkloadSpec; tail: boolean }[] = [
  // Clean close, 512-byte pages: a deep tree, overflow chains, a free list.
  {
    spec: { name: 'clean-512', seed: 71, writers: 1, opsPerWriter: 80, overflowSize: 200, options: { pageSize: 512, checkpointThreshold: 4 * KiB, walSegmentSize: 4 * KiB } },
    tail: false,
  },
  // Clean close, 4 KiB pages, overflow values over 1 KiB.
  {
    spec: { name: 'clean-4096', seed: 72, writers: 1, opsPerWriter: 60, overflowSize: 1100, options: { pageSize: 4096, checkpointThreshold: 16 * KiB, walSegmentSize: 8 * KiB } },
    tail: false,
  },
  // Power lost after the writes: the log holds records after the last checkpoint.
  {
    spec: { name: 'tail-1024', seed: 73, writers: 1, opsPerWriter: 70, overflowSize: 400, options: { pageSize: 1024, checkpointThreshold: 12 * KiB, walSegmentSize: 16 * KiB } },
    tail: true,
  },
]

describe('damaged files at rest', () => {
  let total = 0
  for (const { spec, tail } of bases) {
    it(`${spec.name}: every damaged read is right or a located CORRUPTION (seed ${spec.seed})`, async () => {
      const base: DamageBase = await buildDamageBase(spec, tail)
      const prng = new Prng(spec.seed * 7919)
      const verdicts = new Map<string, number>()
      const failures: string[] = []
      let cases = 0
      for (const kind of DAMAGE_KINDS) {
        for (let index = 0; index < CASES_PER_KIND; index++) {
          const damage = drawDamage(prng, base, kind)
          const vfs = base.image.clone()
          applyDamage(vfs, prng, damage)
          const outcome = await withDeadline(readDamaged(vfs, base, damage), `${kind} at ${damage.path}+${damage.offset}`)
          cases++
          const key = `${damage.path.includes('/wal/') ? 'log' : 'data'}: ${outcome.verdict}`
          verdicts.set(key, (verdicts.get(key) ?? 0) + 1)
          if (outcome.problems.length > 0 && failures.length < 10) {
            failures.push(`${kind} at ${damage.path}+${damage.offset} (${damage.length} bytes): ${outcome.problems.join(' | ')}`)
          }
        }
      }
      total += cases
      console.log(
        `damage ${spec.name} seed ${spec.seed}: ${cases} cases over ${base.files.length} files; ` +
          [...verdicts].map(([verdict, count]) => `${verdict} ${count}`).join(', ') +
          `; running total ${total}`,
      )
      expect(failures).toEqual([])
      // The cases must reach live data, not just zeros: some reads have to be refused.
      expect([...verdicts].some(([verdict]) => verdict !== 'data: all data right' && verdict.startsWith('data'))).toBe(true)
    })
  }

  for (const { spec, tail } of bases) {
    it(`${spec.name}: a damaged meta page, either slot, all kinds (seed ${spec.seed})`, async () => {
      const base = await buildDamageBase(spec, tail)
      const pageSize = spec.options.pageSize!
      const data = base.files.find((file) => file.path.endsWith('data.tdb'))!
      const prng = new Prng(spec.seed)
      const failures: string[] = []
      for (const slot of [0, 1]) {
        for (const kind of DAMAGE_KINDS) {
          for (let index = 0; index < 10; index++) {
            const offset = slot * pageSize + (kind === 'bit flip' || kind === 'random bytes' ? prng.int(64) : 0)
            const length = kind === 'bit flip' ? 1 : kind === 'random bytes' ? 8 : kind === 'zeroed sector' ? 512 : Math.min(4096, pageSize)
            const vfs = base.image.clone()
            applyDamage(vfs, prng, { path: data.path, kind, offset, length })
            const outcome = await withDeadline(readDamaged(vfs, base, { path: data.path, offset: 0, length: 0 }), `${kind} at meta slot ${slot}`)
            total++
            if (outcome.problems.length > 0) failures.push(`${kind} at meta slot ${slot} +${offset}: ${outcome.problems.join(' | ')}`)
          }
        }
      }
      expect(failures.slice(0, 10)).toEqual([])
    })
  }

  it('ran at least 1,000 damage cases in all', () => {
    expect(total).toBeGreaterThanOrEqual(1_000)
  })
})
