import { describe, expect, it } from 'vitest'
import { ObservedVfs, SimCrashError, SimVfs } from '@tinydb/vfs'
import type { CrashMode, Vfs } from '@tinydb/vfs'
import { prng, yieldMicrotasks } from '../src/conformance-support.js'
import { partitionProblems } from '../src/conformance-support.js'
import { FilePager } from '../src/index.js'
import type { PagerMeta, PendingCheckpoint } from '../src/index.js'
import { addChildren, churn, readTree, retagAll } from './support/tree.js'
import type { Children } from './support/tree.js'

const PATH = '/db/data.tdb'
const MODES: readonly CrashMode[] = ['drop', 'tear', 'reorder']

interface Checkpointed {
  readonly meta: PagerMeta
  readonly children: ReadonlyMap<number, number>
}

/**
 * A store with a few checkpoints of history (so there are free pages and a free list of several
 * pages), and one more checkpoint sealed but not committed, with work done after the seal.
 */
async function scenario(
  vfs: Vfs,
  pageSize: number,
  checkpointFlushAfter?: number,
): Promise<{ pager: FilePager; old: Checkpointed; next: Checkpointed; pending: PendingCheckpoint; current: { root: number; children: Children } }> {
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const flushes = checkpointFlushAfter === undefined ? {} : { checkpointFlushAfter }
  const pager = await FilePager.open(vfs, PATH, { pageSize, cacheSize: 8 * pageSize, verify: true, ...flushes })
  const random = prng(4242)
  let tag = 0
  const nextTag = (): number => ++tag
  const children: Children = new Map()
  let root = 0
  for (let checkpoint = 1; checkpoint <= 4; checkpoint++) {
    root = churn(pager, root, children, random, nextTag)
    await pager.beginCheckpoint({ rootPageId: root, checkpointLsn: checkpoint * 100 }).commit()
  }
  const old = { meta: pager.meta, children: new Map(children) }
  root = churn(pager, root, children, random, nextTag)
  const pending = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 500 })
  const next = {
    meta: { checkpointId: old.meta.checkpointId + 1, checkpointLsn: 500, rootPageId: root, pageCount: pager.accounting().pageCount },
    children: new Map(children),
  }
  root = churn(pager, root, children, random, nextTag) // after the seal: must not reach the file
  return { pager, old, next, pending, current: { root, children } }
}

/**
 * `scenario`, then a second checkpoint sealed while the first one's writes are under way (queued
 * behind it on the file, not folded into it), with work after that seal too.
 */
async function pipelinedScenario(vfs: SimVfs, pageSize: number): Promise<{ states: Checkpointed[]; commits: Promise<PagerMeta>[] }> {
  const { pager, old, next, pending, current } = await scenario(vfs, pageSize)
  const first = pending.commit()
  first.catch(() => undefined)
  // Let the first sequence start, so the second seal cannot withdraw and fold it.
  await yieldMicrotasks(3)
  const children = new Map(current.children)
  const random = prng(77)
  let tag = 2_000_000
  const root = churn(pager, current.root, children, random, () => ++tag)
  const second = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 600 })
  expect(second.checkpointId).toBe(next.meta.checkpointId + 1)
  const last = {
    meta: { checkpointId: second.checkpointId, checkpointLsn: 600, rootPageId: root, pageCount: pager.accounting().pageCount },
    children: new Map(children),
  }
  const committing = second.commit()
  committing.catch(() => undefined)
  churn(pager, root, children, random, () => ++tag) // after the second seal: must not reach the file
  return { states: [old, next, last], commits: [first, committing] }
}

/**
 * A checkpoint too large to be stamped in one turn of the event loop (hundreds of pages), its
 * commit asked for, and — before its stamping ends — more work and a second seal, which folds into
 * it; then work after that seal.
 */
async function foldedWhileStampingScenario(vfs: SimVfs): Promise<{ states: Checkpointed[]; commits: Promise<PagerMeta>[] }> {
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  // Without `verify`: its per-commit assertion costs more than the scenario, run once per crash point
  // (the recovered store is opened with it).
  const pager = await FilePager.open(vfs, PATH, { pageSize: 4096, cacheSize: 8 * 4096 })
  const random = prng(515)
  let tag = 0
  const nextTag = (): number => ++tag
  const children: Children = new Map()
  let root = 0
  addChildren(pager, children, 460, nextTag)
  root = churn(pager, root, children, random, nextTag)
  await pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 100 }).commit()
  const old = { meta: pager.meta, children: new Map(children) }
  retagAll(pager, children, nextTag) // every child copied: hundreds of pages to stamp
  root = churn(pager, root, children, random, nextTag)
  expect(pager.unsealedPages).toBeGreaterThan(300) // more than one turn's slice of stamping (256)
  const first = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 200 })
  const firstDurable = first.commit({ incremental: true })
  firstDurable.catch(() => undefined)
  root = churn(pager, root, children, random, nextTag)
  const second = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 300 })
  expect(second.checkpointId).toBe(first.checkpointId) // folded: the first was still being stamped
  const folded = {
    meta: { checkpointId: second.checkpointId, checkpointLsn: 300, rootPageId: root, pageCount: pager.accounting().pageCount },
    children: new Map(children),
  }
  const secondDurable = second.commit({ incremental: true })
  secondDurable.catch(() => undefined)
  churn(pager, root, children, random, nextTag) // after the second seal: must not reach the file
  return { states: [old, folded], commits: [firstDurable, secondDurable] }
}

/** Opens the crashed store and checks it holds exactly one of `states`; returns its index. */
async function recoverAndCheckAny(vfs: SimVfs, states: readonly Checkpointed[], label: string): Promise<number> {
  const pager = await FilePager.open(vfs, PATH, { verify: true })
  const index = states.findIndex((state) => state.meta.checkpointId === pager.meta.checkpointId)
  expect(`${label}: ${JSON.stringify(pager.meta)}`).toBe(`${label}: ${JSON.stringify(states[Math.max(0, index)]!.meta)}`)
  const tree = readTree(pager, pager.meta.rootPageId)
  expect(tree.problems).toEqual([])
  expect([...tree.children].sort()).toEqual([...states[index]!.children].sort())
  expect(partitionProblems(pager, [pager.meta.rootPageId, ...tree.children.keys()])).toEqual([])
  await pager.close()
  return index
}

/** Opens the crashed store and checks it holds exactly `old` or exactly `next`; returns which. */
async function recoverAndCheck(vfs: SimVfs, old: Checkpointed, next: Checkpointed, label: string): Promise<'old' | 'next'> {
  const pager = await FilePager.open(vfs, PATH, { verify: true })
  const which = pager.meta.checkpointId === next.meta.checkpointId ? 'next' : 'old'
  const expected = which === 'next' ? next : old
  expect(`${label}: ${JSON.stringify(pager.meta)}`).toBe(`${label}: ${JSON.stringify(expected.meta)}`)
  const tree = readTree(pager, pager.meta.rootPageId)
  expect(tree.problems).toEqual([])
  expect([...tree.children].sort()).toEqual([...expected.children].sort())
  expect(partitionProblems(pager, [pager.meta.rootPageId, ...tree.children.keys()])).toEqual([])
  // The recovered store keeps working: another checkpoint, then a clean reopen.
  const random = prng(1)
  const children = new Map(tree.children)
  const root = churn(pager, pager.meta.rootPageId, children, random, (() => { let t = 1_000_000; return () => ++t })())
  const meta = await pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 999 }).commit()
  await pager.close()
  const again = await FilePager.open(vfs, PATH, { verify: true })
  expect(again.meta).toEqual(meta)
  const reread = readTree(again, root)
  expect(reread.problems).toEqual([])
  expect([...reread.children].sort()).toEqual([...children].sort())
  await again.close()
  return which
}

describe('FilePager crash safety (SimVfs)', () => {
  // The default flush size, and one of two pages: the commit's pages are synced in several steps.
  const variants = [
    { pageSize: 4096, checkpointFlushAfter: undefined, syncs: 2 },
    { pageSize: 512, checkpointFlushAfter: undefined, syncs: 2 },
    { pageSize: 512, checkpointFlushAfter: 1024, syncs: 4 },
  ]
  for (const { pageSize, checkpointFlushAfter, syncs } of variants) {
    const flushes = checkpointFlushAfter === undefined ? 'default flushes' : `a flush every ${checkpointFlushAfter} bytes`
    it(`a crash at any I/O operation of a commit leaves exactly the old or the new checkpoint (pageSize ${pageSize}, ${flushes})`, async () => {
      // Count the operations one commit issues.
      const probe = new SimVfs({ seed: 1 })
      let commitSyncs = 0
      const base = await scenario(new ObservedVfs(probe, (event) => void (commitSyncs += event.op === 'sync' ? 1 : 0)), pageSize, checkpointFlushAfter)
      const before = probe.operationCount
      commitSyncs = 0
      await base.pending.commit()
      const operations = probe.operationCount - before
      expect(operations >= 5).toBe(true) // data writes, sync, meta write, sync
      expect(commitSyncs).toBeGreaterThanOrEqual(syncs)

      const outcomes: string[] = []
      for (const mode of MODES) {
        // n = operations + 1: the commit completes, then the power fails.
        for (let n = 1; n <= operations + 1; n++) {
          const seed = n * 31 + MODES.indexOf(mode)
          const vfs = new SimVfs({ seed })
          const { old, next, pending } = await scenario(vfs, pageSize, checkpointFlushAfter)
          vfs.crashAtOperation(n)
          const error = await pending.commit().then(() => undefined, (e: unknown) => e)
          expect(`op ${n}: ${error === undefined ? 'committed' : SimCrashError.isInstance(error) ? 'crashed' : String(error)}`).toBe(
            `op ${n}: ${n <= operations ? 'crashed' : 'committed'}`,
          )
          vfs.crash({ mode })
          const which = await recoverAndCheck(vfs, old, next, `${mode} crash at op ${n}/${operations} (seed ${seed})`)
          outcomes.push(`${mode}:${n}:${which}`)
        }
      }
      // The switch is the final fdatasync: before it the old checkpoint is certain, after it the new one.
      for (const mode of MODES) {
        expect(outcomes.filter((o) => o.startsWith(`${mode}:`) && o.endsWith(':next')).length >= 1).toBe(true)
        expect(outcomes.includes(`${mode}:1:old`) && outcomes.includes(`${mode}:${operations + 1}:next`)).toBe(true)
      }
    })
  }

  it('a crash at any I/O operation of two queued commits leaves exactly one of the three checkpoints, in order', async () => {
    const probe = new SimVfs({ seed: 1 })
    const before = probe.operationCount
    const base = await pipelinedScenario(probe, 1024)
    const setup = probe.operationCount - before
    await Promise.all(base.commits)
    const total = probe.operationCount - before
    const outcomes: string[] = []
    for (const mode of MODES) {
      // Crash points from the first commit's first operation to past the second's last.
      for (let n = 1; n <= total - setup + 1; n++) {
        const seed = n * 37 + MODES.indexOf(mode)
        const vfs = new SimVfs({ seed })
        vfs.crashAtOperation(setup + n)
        const { states, commits } = await pipelinedScenario(vfs, 1024).catch((error: unknown) => {
          throw new Error(`the crash point fell inside the setup (op ${setup + n}): ${String(error)}`)
        })
        const settled = await Promise.all(commits.map((commit) => commit.then(() => 'ok', (e: unknown) => (SimCrashError.isInstance(e) ? 'crashed' : String(e)))))
        vfs.crash({ mode })
        const index = await recoverAndCheckAny(vfs, states, `${mode} crash at op ${n} (seed ${seed})`)
        // What committed before the crash is what comes back (or later: a crash after the last
        // fdatasync returned but before its promise settled cannot lose it).
        expect(index >= settled.lastIndexOf('ok') + 1).toBe(true)
        outcomes.push(`${mode}:${index}`)
      }
    }
    for (const mode of MODES) for (const index of [0, 1, 2]) expect(outcomes.includes(`${mode}:${index}`)).toBe(true)
  })

  it('a crash at any I/O operation of a checkpoint folded into while it was being stamped leaves the old or the folded one', async () => {
    const probe = new SimVfs({ seed: 1 })
    const before = probe.operationCount
    const base = await foldedWhileStampingScenario(probe)
    const setup = probe.operationCount - before
    await Promise.all(base.commits)
    const total = probe.operationCount - before
    expect(total - setup >= 5).toBe(true)
    const outcomes: string[] = []
    // Every crash point once, the crash modes taking turns: the scenario is a few hundred pages.
    for (let n = 1; n <= total - setup + 1; n++) {
      const mode = MODES[n % MODES.length]!
      const seed = n * 41
      const vfs = new SimVfs({ seed })
      vfs.crashAtOperation(setup + n)
      const { states, commits } = await foldedWhileStampingScenario(vfs).catch((error: unknown) => {
        throw new Error(`the crash point fell inside the setup (op ${setup + n}): ${String(error)}`)
      })
      const settled = await Promise.all(commits.map((commit) => commit.then(() => 'ok', (e: unknown) => (SimCrashError.isInstance(e) ? 'crashed' : String(e)))))
      expect(settled[0], `seed ${seed}`).toBe(settled[1]) // one checkpoint: both handles settle alike
      vfs.crash({ mode })
      const index = await recoverAndCheckAny(vfs, states, `${mode} crash at op ${n} (seed ${seed})`)
      if (settled[0] === 'ok') expect(index, `seed ${seed}`).toBe(1)
      outcomes.push(`${mode}:${index}`)
    }
    for (const index of [0, 1]) expect(outcomes.some((outcome) => outcome.endsWith(`:${index}`))).toBe(true)
  })

  it('survives a crash loop: work, checkpoint, crash at a random point, recover, repeat', async () => {
    const seed = 20240611
    console.log('crash loop seed', seed)
    const random = prng(seed)
    const vfs = new SimVfs({ seed })
    await vfs.mkdir('/db')
    await vfs.syncDir('/')
    let durable: Checkpointed = { meta: { checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: 2 }, children: new Map() }
    let tag = 0
    const nextTag = (): number => ++tag
    let crashes = 0
    for (let round = 0; round < 40; round++) {
      const pager = await FilePager.open(vfs, PATH, { pageSize: 1024, cacheSize: 16 * 1024, verify: true })
      expect(pager.meta).toEqual(durable.meta)
      const tree = readTree(pager, pager.meta.rootPageId)
      expect(tree.problems).toEqual([])
      expect([...tree.children].sort()).toEqual([...durable.children].sort())
      expect(partitionProblems(pager, [pager.meta.rootPageId, ...tree.children.keys()].filter((id) => id !== 0))).toEqual([])
      const children = new Map(tree.children)
      let root = pager.meta.rootPageId
      let crashed = false
      for (let checkpoint = 0; checkpoint < 3 && !crashed; checkpoint++) {
        root = churn(pager, root, children, random, nextTag)
        const pending = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: durable.meta.checkpointLsn + 10 })
        const next = {
          meta: { checkpointId: durable.meta.checkpointId + 1, checkpointLsn: durable.meta.checkpointLsn + 10, rootPageId: root, pageCount: pager.accounting().pageCount },
          children: new Map(children),
        }
        if (random() < 0.4) vfs.crashAtOperation(1 + Math.floor(random() * 8))
        const committing = pending.commit()
        root = churn(pager, root, children, random, nextTag) // runs under the commit
        const error = await committing.then(() => undefined, (e: unknown) => e)
        if (error === undefined) {
          durable = next
          continue
        }
        expect(SimCrashError.isInstance(error)).toBe(true)
        vfs.crash({ mode: MODES[Math.floor(random() * MODES.length)]! })
        const reopened = await FilePager.open(vfs, PATH, { verify: true })
        if (reopened.meta.checkpointId === next.meta.checkpointId) durable = next
        await reopened.close()
        crashed = true
        crashes++
      }
      if (!crashed) {
        // The crash point may still be armed if the commit finished first; disarm by crashing now.
        vfs.crash({ mode: 'drop' })
      }
    }
    expect(crashes >= 10).toBe(true)
  })

  it('a crash at any point of creating the file leaves no file or an empty store', async () => {
    const probe = new SimVfs()
    await probe.mkdir('/db')
    await probe.syncDir('/')
    const before = probe.operationCount
    await (await FilePager.open(probe, PATH)).close()
    const operations = probe.operationCount - before
    const pageSizes = new Set<number>()
    for (const mode of MODES) {
      // n = operations + 1 is past the last operation: the open completes, then the power fails.
      for (let n = 1; n <= operations + 1; n++) {
        const vfs = new SimVfs({ seed: n })
        await vfs.mkdir('/db')
        await vfs.syncDir('/')
        vfs.crashAtOperation(n)
        const opened = await FilePager.open(vfs, PATH).then((pager) => pager, (e: unknown) => e)
        if (n <= operations) expect(SimCrashError.isInstance(opened)).toBe(true)
        else await (opened as FilePager).close()
        vfs.crash({ mode })
        // Either the first attempt's file (4096-byte pages) became durable whole, or there is none
        // and this open creates one with 2048-byte pages.
        const pager = await FilePager.open(vfs, PATH, { pageSize: 2048 })
        expect(pager.meta).toEqual({ checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: 2 })
        expect([4096, 2048].includes(pager.pageSize)).toBe(true)
        pageSizes.add(pager.pageSize)
        await pager.close()
      }
    }
    expect([...pageSizes].sort()).toEqual([2048, 4096])
  })
})
