import type { BTree } from '@tinydb/kv'
import type { Pager } from '@tinydb/pager'
import { TinyDbError } from '@tinydb/vfs'
import type { Wal } from '@tinydb/wal'
import { decodeBatch } from './record-format.js'
import type { CheckProblem, CheckProgress, CheckReport } from './report.js'

export interface CheckParts {
  readonly pager: Pager
  readonly wal: Wal
  readonly tree: BTree
  readonly dataPath: string
  readonly walDir: string
}

export interface CheckOptions {
  /** Called every few hundred pages and log records, and once at the end of each phase. */
  readonly onProgress?: (progress: CheckProgress) => void
}

/** Pages walked per event-loop turn: short enough that a check never holds the loop for long. */
const PAGES_PER_TURN = 512
const RECORDS_PER_REPORT = 256

/**
 * The one integrity checker (the CLI, the tests and the crash harness all use it): every reachable
 * page is read and verified, the reachable, free and bookkeeping pages must partition the file
 * exactly (a page in none is leaked, a page in two is referenced twice), and every log record after
 * the checkpoint must verify and decode.
 *
 * It checks the store as of its start, while writes may go on: the tree is walked through a
 * snapshot (its pages cannot change or be reused until the walk ends), and the page accounting is
 * taken in the same synchronous step, so both describe the same moment. The walk yields to the
 * event loop every few hundred pages. The log phase then checks the log as it is when it runs
 * (a checkpoint meanwhile may have moved its start).
 */
export async function checkIntegrity(parts: CheckParts, options: CheckOptions = {}): Promise<CheckReport> {
  const problems: CheckProblem[] = []
  const { onProgress } = options
  const snapshot = parts.tree.snapshot()
  const accounting = parts.pager.accounting()
  // What the tree should reach when it is sound: every page that is not the pager's, free or retained.
  const expectedTreePages =
    accounting.pageCount - accounting.internal.length - accounting.free.length - accounting.pendingFree.length - accounting.retained.length
  let treeReport
  try {
    const steps = snapshot.check()
    for (;;) {
      const step = steps.next()
      if (step.done === true) {
        treeReport = step.value
        break
      }
      if (step.value % PAGES_PER_TURN === 0) {
        onProgress?.({ phase: 'pages', done: step.value, total: expectedTreePages })
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  } finally {
    snapshot.release()
  }
  onProgress?.({ phase: 'pages', done: treeReport.reachablePages.length, total: expectedTreePages })
  for (const problem of treeReport.problems) {
    problems.push({ file: parts.dataPath, pageId: problem.pageId, what: problem.what })
  }

  const owner = new Map<number, string>()
  const claim = (pageId: number, role: string) => {
    const previous = owner.get(pageId)
    if (previous !== undefined) {
      problems.push({ file: parts.dataPath, pageId, what: `page is referenced twice: as ${previous} and as ${role}` })
      return
    }
    if (pageId < 0 || pageId >= accounting.pageCount) {
      problems.push({ file: parts.dataPath, pageId, what: `${role} page is beyond the page count ${accounting.pageCount}` })
    }
    owner.set(pageId, role)
  }
  for (const pageId of accounting.internal) claim(pageId, 'pager bookkeeping')
  for (const pageId of treeReport.reachablePages) claim(pageId, 'tree')
  for (const pageId of accounting.free) claim(pageId, 'free')
  for (const pageId of accounting.pendingFree) claim(pageId, 'pending free')
  for (const pageId of accounting.retained) claim(pageId, 'retained by a snapshot')
  for (let pageId = 0; pageId < accounting.pageCount; pageId++) {
    if (!owner.has(pageId)) problems.push({ file: parts.dataPath, pageId, what: 'page is leaked: neither reachable nor free' })
  }

  let walRecordsChecked = 0
  try {
    for await (const record of parts.wal.read(parts.pager.meta.checkpointLsn + 1)) {
      decodeBatch(record.payload, { file: parts.walDir, lsn: record.lsn })
      if (++walRecordsChecked % RECORDS_PER_REPORT === 0) onProgress?.({ phase: 'log', done: walRecordsChecked, total: undefined })
    }
  } catch (error) {
    if (!TinyDbError.isInstance(error) || error.code !== 'CORRUPTION') throw error
    problems.push({
      file: error.file ?? parts.walDir,
      ...(error.pageId === undefined ? {} : { pageId: error.pageId }),
      ...(error.offset === undefined ? {} : { offset: error.offset }),
      what: error.detail ?? error.message,
    })
  }

  onProgress?.({ phase: 'log', done: walRecordsChecked, total: walRecordsChecked })
  return {
    ok: problems.length === 0,
    problems,
    pagesChecked: accounting.pageCount,
    keys: treeReport.keyCount,
    depth: treeReport.depth,
    walRecordsChecked,
  }
}
