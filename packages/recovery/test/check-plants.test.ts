import { describe, expect, it } from 'vitest'
import type { BTree } from '@tinydb/kv'
import { FilePager } from '@tinydb/pager'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { Wal } from '@tinydb/wal'
// The page layouts are not part of any package's public face; these tests plant damage that only
// a byte-exact writer can produce (a valid checksum over wrong content), so they use the format
// modules of the same repository directly.
import { LEAF_HEADER_SIZE, LEAF_PAGE_TYPE } from '../../kv/src/leaf-format.js'
import { OVERFLOW_NEXT_PAGE_OFFSET, OVERFLOW_PAGE_TYPE } from '../../kv/src/overflow-format.js'
import { cellCount } from '../../kv/src/slotted-format.js'
import { FORMAT_VERSION, pageChecksumFor } from '../../pager/src/page-checksum.js'
import { PAGE_HEADER_SIZE, PAGE_TYPE_OFFSET } from '../../pager/src/page-format.js'
import { applyOperations, checkIntegrity, checkpoint, encodeBatch, recover, storeLayout, type CheckReport, type LogOperation } from '../src/index.js'

/**
 * Issue 4, item 5: each kind of damage `check` must find is planted in a real store, and the
 * report must name it, with the file and the page (or the log offset). The store is composed from
 * the layers the way @tinydb/engine composes them.
 */

const PAGE_SIZE = 512
const layout = storeLayout('/db')
const encoder = new TextEncoder()

interface Parts {
  readonly pager: FilePager
  readonly wal: Wal
  readonly tree: BTree
  check(): Promise<CheckReport>
  write(ops: LogOperation[]): Promise<number>
  checkpoint(): Promise<void>
  close(): Promise<void>
}

async function openParts(vfs: SimVfs): Promise<Parts> {
  if (!(await vfs.exists(layout.dir))) {
    await vfs.mkdir(layout.dir)
    await vfs.syncDir('/')
  }
  const created = !(await vfs.exists(layout.dataPath))
  const pager = await FilePager.open(vfs, layout.dataPath, { pageSize: PAGE_SIZE })
  const wal = await Wal.open(vfs, layout.walDir, { segmentSize: 64 * 1024 })
  const { tree, report } = await recover({ pager, wal, dataPath: layout.dataPath, walDir: layout.walDir, created })
  let lastLsn = report.lastLsn
  return {
    pager,
    wal,
    tree,
    check: () => checkIntegrity({ pager, wal, tree, dataPath: layout.dataPath, walDir: layout.walDir }),
    write: async (ops) => {
      lastLsn = await wal.append(encodeBatch(ops))
      applyOperations(tree, ops)
      return lastLsn
    },
    checkpoint: async () => {
      await checkpoint({ pager, wal, tree }, lastLsn)
    },
    close: async () => {
      await wal.close()
      await pager.close()
    },
  }
}

const put = (key: string, value: string): LogOperation => ({ type: 'put', key: encoder.encode(key), value: encoder.encode(value) })

/** A checkpointed store of ~120 keys over 512-byte pages: a branch root, many leaves, overflow chains. */
async function buildStore(): Promise<SimVfs> {
  const vfs = new SimVfs({ seed: 31 })
  const parts = await openParts(vfs)
  for (let i = 0; i < 120; i++) {
    const value = i % 10 === 0 ? `big${i}:${'o'.repeat(900)}` : `v${i}`
    await parts.write([put(`key${String(i).padStart(3, '0')}`, value)])
  }
  await parts.checkpoint()
  expect((await parts.check()).problems).toEqual([])
  await parts.close()
  return vfs
}

/** The reachable pages of the stored tree, by type. */
async function reachablePages(vfs: SimVfs): Promise<Map<number, number[]>> {
  const parts = await openParts(vfs.clone())
  const bytes = vfs.readDurable(layout.dataPath)
  const byType = new Map<number, number[]>()
  for (const pageId of parts.tree.check().reachablePages) {
    const type = bytes[pageId * PAGE_SIZE + PAGE_TYPE_OFFSET]!
    byType.set(type, [...(byType.get(type) ?? []), pageId])
  }
  await parts.close()
  return byType
}

function readPage(vfs: SimVfs, pageId: number): Uint8Array {
  return vfs.readDurable(layout.dataPath).slice(pageId * PAGE_SIZE, (pageId + 1) * PAGE_SIZE)
}

/** Writes `page` at `pageId` with a freshly computed, valid checksum. */
function plantPage(vfs: SimVfs, pageId: number, page: Uint8Array): void {
  new DataView(page.buffer, page.byteOffset).setUint32(0, pageChecksumFor(FORMAT_VERSION, PAGE_SIZE)!.compute(page), true)
  vfs.overwrite(layout.dataPath, pageId * PAGE_SIZE, page)
}

async function checkOf(vfs: SimVfs): Promise<CheckReport> {
  const parts = await openParts(vfs)
  try {
    return await parts.check()
  } finally {
    await parts.close()
  }
}

function expectProblem(report: CheckReport, pageId: number | undefined, what: RegExp): void {
  console.log(`check found: ${report.problems.map((problem) => `${problem.file} page ${problem.pageId}: ${problem.what}`).join('; ')}`)
  expect(report.ok).toBe(false)
  const found = report.problems.find((problem) => (pageId === undefined || problem.pageId === pageId) && what.test(problem.what))
  expect(found, `no problem matching ${what} at page ${pageId} in ${JSON.stringify(report.problems)}`).toBeDefined()
  expect(found!.file).toMatch(/\/db\//)
}

describe('check finds planted damage', () => {
  it('a bad page checksum', async () => {
    const vfs = await buildStore()
    const leaf = (await reachablePages(vfs)).get(LEAF_PAGE_TYPE)![3]!
    vfs.flipBit(layout.dataPath, leaf * PAGE_SIZE + 300, 2)
    expectProblem(await checkOf(vfs), leaf, /checksum mismatch/)
  })

  it('a misdirected page (a valid page written at another page id)', async () => {
    const vfs = await buildStore()
    const [first, second] = (await reachablePages(vfs)).get(LEAF_PAGE_TYPE)!
    vfs.overwrite(layout.dataPath, second! * PAGE_SIZE, readPage(vfs, first!))
    expectProblem(await checkOf(vfs), second, new RegExp(`page id ${first} found at page ${second}`))
  })

  it('keys out of order in a leaf with a valid checksum', async () => {
    const vfs = await buildStore()
    const leaf = (await reachablePages(vfs)).get(LEAF_PAGE_TYPE)![2]!
    const page = readPage(vfs, leaf)
    const body = page.subarray(PAGE_HEADER_SIZE)
    expect(cellCount(body)).toBeGreaterThanOrEqual(2)
    // Swap the first two slots: the cells stay intact, their order is now descending.
    const slots = new DataView(body.buffer, body.byteOffset + LEAF_HEADER_SIZE)
    const [a, b] = [slots.getUint16(0, true), slots.getUint16(2, true)]
    slots.setUint16(0, b, true)
    slots.setUint16(2, a, true)
    // And their key heads, which follow the offsets: each still matches its cell.
    const heads = LEAF_HEADER_SIZE + 2 * cellCount(body)
    const firstHead = body.slice(heads, heads + 4)
    body.copyWithin(heads, heads + 4, heads + 8)
    body.set(firstHead, heads + 4)
    plantPage(vfs, leaf, page)
    expectProblem(await checkOf(vfs), leaf, /order/)
  })

  it('a leaked page (allocated, written, referenced by nothing)', async () => {
    const vfs = await buildStore()
    const parts = await openParts(vfs)
    const leaked = parts.pager.allocate(OVERFLOW_PAGE_TYPE).id
    await parts.checkpoint()
    await parts.close()
    expectProblem(await checkOf(vfs), leaked, /leaked/)
  })

  it('a page referenced twice (by the tree and by the free list)', async () => {
    const vfs = await buildStore()
    const leaf = (await reachablePages(vfs)).get(LEAF_PAGE_TYPE)![1]!
    const parts = await openParts(vfs)
    parts.pager.free(leaf) // a bug that frees a page the tree still references
    await parts.checkpoint()
    await parts.close()
    expectProblem(await checkOf(vfs), leaf, /referenced twice/)
  })

  it('a broken overflow chain (a link cut, checksum valid)', async () => {
    const vfs = await buildStore()
    const overflow = (await reachablePages(vfs)).get(OVERFLOW_PAGE_TYPE)!
    // The first page of a chain of at least two links to the next one.
    const head = overflow.find((pageId) => new DataView(readPage(vfs, pageId).buffer).getUint32(PAGE_HEADER_SIZE + OVERFLOW_NEXT_PAGE_OFFSET, true) !== 0)!
    const page = readPage(vfs, head)
    new DataView(page.buffer).setUint32(PAGE_HEADER_SIZE + OVERFLOW_NEXT_PAGE_OFFSET, 0, true)
    plantPage(vfs, head, page)
    const report = await checkOf(vfs)
    expect(report.ok).toBe(false)
    expect(report.problems.some((problem) => problem.file === layout.dataPath && /overflow|chain/.test(problem.what))).toBe(true)
  })

  it('a bad log record before the tail: check reports it, and opening refuses it', async () => {
    const vfs = await buildStore()
    const parts = await openParts(vfs)
    for (let i = 0; i < 6; i++) await parts.write([put(`late${i}`, `value${i}`)])
    // The records after the checkpoint are in the newest segment; damage the first of them.
    const segments = (await vfs.readdir(layout.walDir)).filter((name) => name.endsWith('.wal')).sort()
    // In use: the header's seq (offset 8) equals the number in the name; spares do not.
    const inUse = (name: string) => new DataView(vfs.readDurable(`${layout.walDir}/${name}`).buffer).getUint32(8, true) === Number.parseInt(name, 16)
    const segment = `${layout.walDir}/${segments.filter(inUse).at(-1)!}`
    const firstFrame = 32
    vfs.flipBit(segment, firstFrame + 20 + 3, 5) // a payload byte of the first frame
    const report = await parts.check()
    expect(report.ok).toBe(false)
    const problem = report.problems.find((found) => found.file.startsWith(layout.walDir))
    expect(problem, JSON.stringify(report.problems)).toBeDefined()
    expect(problem!.offset).toBe(firstFrame)
    await parts.close()
    const refused = await openParts(vfs).then(
      async (reopened) => {
        await reopened.close()
        return undefined
      },
      (error: unknown) => error,
    )
    expect(TinyDbError.isInstance(refused) && refused.code).toBe('CORRUPTION')
    expect((refused as TinyDbError).message).toContain(segment)
  })
})
