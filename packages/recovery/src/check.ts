import type { BTree } from '@tinydb/kv'
import type { Pager } from '@tinydb/pager'
import { TinyDbError } from '@tinydb/vfs'
import type { Wal } from '@tinydb/wal'
import { decodeBatch } from './record-format.js'
import type { CheckProblem, CheckReport } from './report.js'

export interface CheckParts {
  readonly pager: Pager
  readonly wal: Wal
  readonly tree: BTree
  readonly dataPath: string
  readonly walDir: string
}

/**
 * The one integrity checker (the CLI, the tests and the crash harness all use it): every reachable
 * page is read and verified, the reachable, free and bookkeeping pages must partition the file
 * exactly (a page in none is leaked, a page in two is referenced twice), and every log record after
 * the checkpoint must verify and decode.
 */
export async function checkIntegrity(parts: CheckParts): Promise<CheckReport> {
  const problems: CheckProblem[] = []
  const treeReport = parts.tree.check()
  for (const problem of treeReport.problems) {
    problems.push({ file: parts.dataPath, pageId: problem.pageId, what: problem.what })
  }

  const accounting = parts.pager.accounting()
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
  for (let pageId = 0; pageId < accounting.pageCount; pageId++) {
    if (!owner.has(pageId)) problems.push({ file: parts.dataPath, pageId, what: 'page is leaked: neither reachable nor free' })
  }

  let walRecordsChecked = 0
  try {
    for await (const record of parts.wal.read(parts.pager.meta.checkpointLsn + 1)) {
      decodeBatch(record.payload, { file: parts.walDir, lsn: record.lsn })
      walRecordsChecked++
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

  return {
    ok: problems.length === 0,
    problems,
    pagesChecked: accounting.pageCount,
    keys: treeReport.keyCount,
    depth: treeReport.depth,
    walRecordsChecked,
  }
}
