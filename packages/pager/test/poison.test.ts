import { describe, expect, it } from 'vitest'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import type { FaultSpec } from '@tinydb/vfs'
import { codeOf, stamp } from '../src/conformance-support.js'
import { FilePager } from '../src/index.js'
import { RecordingVfs } from './support/recording-vfs.js'
import { CHILD_TYPE, readTree, writeRoot } from './support/tree.js'

const PATH = '/db/data.tdb'

/**
 * A store at checkpoint 1, with checkpoint 2 sealed; `fault` is injected just before its commit.
 * `checkpointFlushAfter`: the pager's option (default: its own).
 */
async function failingCommit(fault: FaultSpec, checkpointFlushAfter?: number) {
  const vfs = new SimVfs({ seed: 9 })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const recording = new RecordingVfs(vfs)
  const pager = await FilePager.open(recording, PATH, { pageSize: 1024, ...(checkpointFlushAfter === undefined ? {} : { checkpointFlushAfter }) })
  const children = new Map<number, number>()
  const add = (tag: number): void => {
    const page = pager.allocate(CHILD_TYPE)
    stamp(page.body, tag)
    children.set(page.id, tag)
  }
  for (let tag = 1; tag <= 5; tag++) add(tag)
  let root = writeRoot(pager, 0, children)
  const first = await pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 1 }).commit()
  const firstChildren = new Map(children)
  for (let tag = 6; tag <= 8; tag++) add(tag)
  root = writeRoot(pager, root, children)
  const pending = pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 2 })
  vfs.injectFault(fault)
  const callsBefore = recording.calls.length
  const error = await pending.commit().then(() => undefined, (e: unknown) => e)
  /** The calls the commit made, the failed one last. */
  const calls = recording.calls.slice(callsBefore)
  return { vfs, pager, first, firstChildren, children, root, error, calls }
}

describe('FilePager after a failed commit (fsyncgate)', () => {
  for (const [name, fault, checkpointFlushAfter] of [
    ['the fdatasync of the pages fails', { operation: 'sync', error: 'EIO' }, undefined],
    ['a page write fails (ENOSPC)', { operation: 'write', error: 'ENOSPC' }, undefined],
    ['the meta write fails', { operation: 'write', error: 'EIO', afterMatches: 1 }, undefined],
    // Pages synced a page at a time: the second sync fails, after one slice of the pages is durable.
    ['an fdatasync between two slices of the pages fails', { operation: 'sync', error: 'EIO', afterMatches: 1 }, 1024],
  ] as const) {
    it(`${name}: commit rejects with IO, the pager is POISONED, reopening gives the previous checkpoint`, async () => {
      const { vfs, pager, first, firstChildren, children, root, error, calls } = await failingCommit(fault, checkpointFlushAfter)
      expect(TinyDbError.isInstance(error) && error.code).toBe('IO')
      if (name === 'the meta write fails') expect(calls.at(-1)).toEqual({ op: 'write', position: 0, length: 1024 }) // meta slot 2 % 2
      if (checkpointFlushAfter !== undefined) {
        // Failed at the second sync, with pages written after the first one and none of the meta.
        expect(calls.map((call) => call.op).join(' ')).toMatch(/^write sync write sync$/)
        expect(calls.some((call) => call.op === 'write' && call.position < 2 * 1024)).toBe(false)
      }
      expect(codeOf(() => pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 3 }))).toBe('POISONED')
      // Memory-only bookkeeping still works, so a tree mutation in progress can finish (the file
      // is safe: only a checkpoint writes it, and that is refused).
      const extra = pager.allocate(CHILD_TYPE)
      pager.free(extra.id)
      expect(codeOf(() => pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 3 }))).toBe('POISONED')
      // Reads still work, from the sealed pages in memory and from the file.
      expect(readTree(pager, root).problems).toEqual([])
      expect(readTree(pager, first.rootPageId).problems).toEqual([])
      expect(pager.meta).toEqual(first)
      await pager.close()
      const reopened = await FilePager.open(vfs, PATH)
      expect(reopened.meta).toEqual(first)
      const tree = readTree(reopened, first.rootPageId)
      expect([tree.problems, [...tree.children].sort()]).toEqual([[], [...firstChildren].sort()])
      expect(children.size).toBe(firstChildren.size + 3)
      await reopened.close()
    })
  }

  it('the POISONED error explains itself and keeps the I/O error as its cause', async () => {
    const { pager, error } = await failingCommit({ operation: 'sync', error: 'EIO' })
    const poisoned = (() => {
      try {
        pager.beginCheckpoint({ rootPageId: 0, checkpointLsn: 9 })
      } catch (thrown) {
        return thrown
      }
      return undefined
    })()
    expect(TinyDbError.isInstance(poisoned) && poisoned.code).toBe('POISONED')
    expect((poisoned as Error).message).toMatch(/checkpoint 2 failed to commit; reopen to recover checkpoint 1/)
    expect((poisoned as Error).cause).toBe(error)
  })

  it('the final fdatasync fails: what reopen shows is made durable before it is built upon', async () => {
    // The meta write reached the page cache but its fdatasync failed: the kernel may show it and
    // never write it. The first checkpoint after reopening rewrites and syncs the meta it picked
    // before writing any page, so a later power loss cannot fall back to an older checkpoint whose
    // pages the newer one has reused.
    const { vfs, pager, children, root, error, calls } = await failingCommit({ operation: 'sync', error: 'EIO', afterMatches: 1 })
    expect(TinyDbError.isInstance(error) && error.code).toBe('IO')
    expect(calls.slice(-2)).toEqual([{ op: 'write', position: 0, length: 1024 }, { op: 'sync' }])
    expect(codeOf(() => pager.beginCheckpoint({ rootPageId: root, checkpointLsn: 3 }))).toBe('POISONED')
    await pager.close()
    const recording = new RecordingVfs(vfs)
    const reopened = await FilePager.open(recording, PATH)
    expect(reopened.meta.checkpointId).toBe(2)
    // Build checkpoint 3 on it: its new pages reuse pages checkpoint 1 referenced (free in 2), and
    // its meta goes to checkpoint 1's slot. That meta's fdatasync fails, then the power goes.
    const grown = new Map(children)
    for (let tag = 9; tag <= 11; tag++) {
      const page = reopened.allocate(CHILD_TYPE)
      stamp(page.body, tag)
      grown.set(page.id, tag)
    }
    const newRoot = writeRoot(reopened, root, grown)
    const before = recording.calls.length
    vfs.injectFault({ operation: 'sync', error: 'EIO', afterMatches: 2 })
    const failed = await reopened.beginCheckpoint({ rootPageId: newRoot, checkpointLsn: 3 }).commit().then(() => undefined, (e: unknown) => e)
    expect(TinyDbError.isInstance(failed) && failed.code).toBe('IO')
    // The reopened meta (slot 0) was rewritten and synced before any page was written.
    expect(recording.calls.slice(before, before + 2)).toEqual([{ op: 'write', position: 0, length: 1024 }, { op: 'sync' }])
    await reopened.close()
    vfs.crash({ mode: 'drop' })
    const afterPowerLoss = await FilePager.open(vfs, PATH)
    expect(afterPowerLoss.meta.checkpointId).toBe(2)
    const tree = readTree(afterPowerLoss, root)
    expect([tree.problems, [...tree.children].sort()]).toEqual([[], [...children].sort()])
    await afterPowerLoss.close()
  })
})
