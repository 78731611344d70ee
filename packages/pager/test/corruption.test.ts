import { describe, expect, it } from 'vitest'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { FilePager } from '../src/index.js'
import { FORMAT_VERSION, META_CHECKSUM, pageChecksumFor } from '../src/page-checksum.js'
import type { PagerMeta } from '../src/index.js'
import { CHILD_TYPE, readTree, twoCheckpoints } from './support/tree.js'

const PATH = '/db/data.tdb'

interface Store {
  readonly vfs: SimVfs
  readonly pageSize: number
  /** Checkpoint 1 and checkpoint 2, each with its children (page id -> tag). */
  readonly checkpoints: readonly { meta: PagerMeta; children: Map<number, number> }[]
  /** The free-list pages of checkpoint 2. */
  readonly freeListPages: readonly number[]
}

/** Two checkpoints, the second with free pages (so it has a free list), then closed. */
async function store(pageSize = 1024): Promise<Store> {
  const vfs = new SimVfs({ seed: 3 })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const pager = await FilePager.open(vfs, PATH, { pageSize })
  const [first, second] = await twoCheckpoints(pager, [10, 20])
  const freeListPages = pager.accounting().internal.filter((id) => id > 1)
  await pager.close()
  return { vfs, pageSize, checkpoints: [first, second], freeListPages }
}

async function openError(vfs: SimVfs): Promise<TinyDbError> {
  const error = await FilePager.open(vfs, PATH).then(() => undefined, (e: unknown) => e)
  if (!TinyDbError.isInstance(error)) throw new Error(`expected a TinyDbError, got ${String(error)}`)
  return error
}

function readError(pager: FilePager, pageId: number): TinyDbError {
  try {
    pager.read(pageId)
  } catch (error) {
    if (TinyDbError.isInstance(error)) return error
    throw error
  }
  throw new Error(`read(${pageId}) did not throw`)
}

/** Rewrites a page of the file through `edit`, then fixes its checksum: damage a CRC cannot see. */
function rewritePage(vfs: SimVfs, pageSize: number, pageId: number, edit: (page: Uint8Array, view: DataView) => void): void {
  const page = vfs.readDurable(PATH).slice(pageId * pageSize, (pageId + 1) * pageSize)
  edit(page, new DataView(page.buffer, page.byteOffset, page.byteLength))
  const checksum = pageId < 2 ? META_CHECKSUM : pageChecksumFor(FORMAT_VERSION, pageSize)!
  new DataView(page.buffer).setUint32(0, checksum.compute(page), true)
  vfs.overwrite(PATH, pageId * pageSize, page)
}

describe('FilePager corruption detection', () => {
  it('a flipped bit in a data page is CORRUPTION naming the file, the page and the checksum', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const [victim, other] = [...checkpoints[1]!.children.keys()]
    vfs.flipBit(PATH, victim! * pageSize + 300, 3)
    const pager = await FilePager.open(vfs, PATH)
    const error = readError(pager, victim!)
    expect([error.code, error.file, error.pageId, error.offset]).toEqual(['CORRUPTION', PATH, victim, victim! * pageSize])
    expect(error.message).toBe(`corruption in ${PATH} page ${victim} (offset ${victim! * pageSize}): checksum mismatch`)
    expect(readTree(pager, 0).problems).toEqual([])
    expect(pager.read(other!).id).toBe(other) // the rest of the file still reads
    await pager.close()
  })

  it('a flipped bit in a page header (the stored id) is caught by the checksum too', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const victim = [...checkpoints[1]!.children.keys()][0]!
    vfs.flipBit(PATH, victim * pageSize + 4, 0)
    const pager = await FilePager.open(vfs, PATH)
    expect(readError(pager, victim).message).toMatch(/checksum mismatch$/)
    await pager.close()
  })

  it("a page written at the wrong place (page A's bytes at page B) is CORRUPTION 'page id A found at page B'", async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const [a, b] = [...checkpoints[1]!.children.keys()]
    vfs.overwrite(PATH, b! * pageSize, vfs.readDurable(PATH).slice(a! * pageSize, (a! + 1) * pageSize))
    const pager = await FilePager.open(vfs, PATH)
    const error = readError(pager, b!)
    expect([error.code, error.pageId]).toEqual(['CORRUPTION', b])
    expect(error.message).toMatch(new RegExp(`page id ${a} found at page ${b}$`))
    await pager.close()
  })

  it('a zeroed page says it was never written', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const victim = [...checkpoints[1]!.children.keys()][0]!
    vfs.zero(PATH, victim * pageSize, pageSize)
    const pager = await FilePager.open(vfs, PATH)
    expect(readError(pager, victim).message).toMatch(/checksum mismatch \(the page is all zeros: never written\)$/)
    await pager.close()
  })

  it('a valid page of a pager type where a user page belongs is CORRUPTION', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const victim = [...checkpoints[1]!.children.keys()][0]!
    rewritePage(vfs, pageSize, victim, (page) => {
      page[8] = 2
    })
    const pager = await FilePager.open(vfs, PATH)
    expect(readError(pager, victim).message).toMatch(/page type 2 \(free list\) where a user page belongs$/)
    await pager.close()
  })

  it('a page written by a checkpoint newer than the durable one is CORRUPTION (overwritten under a durable meta)', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const victim = [...checkpoints[1]!.children.keys()][0]!
    rewritePage(vfs, pageSize, victim, (_, view) => view.setUint32(12, 3, true))
    const pager = await FilePager.open(vfs, PATH)
    expect(readError(pager, victim).message).toMatch(/page written by checkpoint 3, after the durable checkpoint 2$/)
    await pager.close()
  })

  it('a torn newest meta falls back to the older one, whose checkpoint is intact', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    // Checkpoint 2 lives in meta slot 0 (2 % 2).
    vfs.flipBit(PATH, 100, 5)
    const pager = await FilePager.open(vfs, PATH)
    expect(pager.meta).toEqual(checkpoints[0]!.meta)
    const tree = readTree(pager, pager.meta.rootPageId)
    expect([tree.problems, [...tree.children].sort()]).toEqual([[], [...checkpoints[0]!.children].sort()])
    await pager.close()
  })

  it('finds meta 1 by probing page sizes when meta 0 is destroyed', async () => {
    const { vfs, pageSize, checkpoints } = await store(8192)
    vfs.zero(PATH, 0, pageSize)
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512 })
    expect([pager.pageSize, pager.meta]).toEqual([8192, checkpoints[0]!.meta])
    expect(readTree(pager, pager.meta.rootPageId).problems).toEqual([])
    await pager.close()
  })

  it('both meta pages destroyed is CORRUPTION naming the file and the meta page', async () => {
    const { vfs, pageSize } = await store()
    vfs.flipBit(PATH, 100, 5)
    vfs.zero(PATH, pageSize, pageSize)
    const error = await openError(vfs)
    expect([error.code, error.file, error.pageId]).toEqual(['CORRUPTION', PATH, 0])
    expect(error.message).toBe(
      `corruption in ${PATH} page 0 (offset 0): no valid meta page (page 0: checksum mismatch; page 1: no valid meta page at any page-size offset (512..65536))`,
    )
  })

  it('a file that is not a TinyDB data file is CORRUPTION (bad magic)', async () => {
    const vfs = new SimVfs()
    await vfs.mkdir('/db')
    const file = await vfs.open(PATH, { create: true })
    await file.write(new TextEncoder().encode('hello, world\n'.repeat(1000)), 0)
    await file.close()
    const error = await openError(vfs)
    expect(error.code).toBe('CORRUPTION')
    expect(error.message).toMatch(/page 0: bad magic/)
  })

  it('an empty file is CORRUPTION, not a new store', async () => {
    const vfs = new SimVfs()
    await vfs.mkdir('/db')
    await (await vfs.open(PATH, { create: true })).close()
    expect((await openError(vfs)).code).toBe('CORRUPTION')
  })

  it('an unknown format version (with a valid checksum) is UNSUPPORTED_FORMAT, never a fallback', async () => {
    const { vfs, pageSize } = await store()
    rewritePage(vfs, pageSize, 0, (_, view) => view.setUint32(24, 4, true))
    const error = await openError(vfs)
    expect([error.code, error.file]).toEqual(['UNSUPPORTED_FORMAT', PATH])
    expect(error.message).toMatch(/format version 4/)
  })

  it('a meta with an unknown version and a bad checksum is just a torn meta', async () => {
    const { vfs, checkpoints } = await store()
    vfs.overwrite(PATH, 24, Uint8Array.of(4, 0, 0, 0))
    const pager = await FilePager.open(vfs, PATH)
    expect(pager.meta).toEqual(checkpoints[0]!.meta)
    await pager.close()
  })

  it('a damaged free-list page is CORRUPTION at open, naming that page', async () => {
    const { vfs, pageSize, freeListPages } = await store()
    expect(freeListPages.length).toBe(1)
    const page = freeListPages[0]!
    vfs.flipBit(PATH, page * pageSize + 30, 1)
    const error = await openError(vfs)
    expect([error.code, error.pageId]).toEqual(['CORRUPTION', page])
  })

  it('a free list that lists a page out of range or out of order is CORRUPTION at open', async () => {
    for (const [entry, message] of [
      [0, /free page 0 outside \[2, \d+\)$/],
      [999_999, /free page 999999 outside/],
    ] as const) {
      const { vfs, pageSize, freeListPages } = await store()
      rewritePage(vfs, pageSize, freeListPages[0]!, (_, view) => view.setUint32(24, entry, true))
      const error = await openError(vfs)
      expect([error.code, error.pageId]).toEqual(['CORRUPTION', freeListPages[0]])
      expect(error.message).toMatch(message)
    }
    const { vfs, pageSize, freeListPages } = await store()
    rewritePage(vfs, pageSize, freeListPages[0]!, (_, view) => view.setUint32(24, view.getUint32(28, true) + 1, true))
    expect((await openError(vfs)).message).toMatch(/listed after \d+: the free list is not ascending$/)
  })

  it('a free list that lists a page twice opens, and is CORRUPTION naming that page at its first use, before any write', async () => {
    // Open checks the order natively, which cannot see equal neighbours; the first use of the list
    // that could hand out the page twice or write it into the next free list finds them instead.
    const { vfs, pageSize, freeListPages, checkpoints } = await store()
    const chainPage = freeListPages[0]!
    let repeated = 0
    rewritePage(vfs, pageSize, chainPage, (_, view) => {
      repeated = view.getUint32(24, true)
      view.setUint32(28, repeated, true)
    })
    const before = vfs.readDurable(PATH).slice()
    const pager = await FilePager.open(vfs, PATH)
    expect(readTree(pager, pager.meta.rootPageId)).toEqual({ children: checkpoints[1]!.children, problems: [] })
    expect(readError(pager, repeated).code).toBe('INVALID_ARGUMENT') // still free
    const uses: [string, () => unknown][] = [
      ['allocate', () => pager.allocate(CHILD_TYPE)],
      ['accounting', () => pager.accounting()],
      ['beginCheckpoint', () => pager.beginCheckpoint({ rootPageId: pager.meta.rootPageId, checkpointLsn: 30 })],
      ['allocate again', () => pager.allocate(CHILD_TYPE)],
    ]
    for (const [use, call] of uses) {
      let error: unknown
      try {
        call()
      } catch (caught) {
        error = caught
      }
      const failed = TinyDbError.isInstance(error) ? [error.code, error.file, error.pageId, error.message.replace(/.*: /, '')] : String(error)
      expect([use, failed]).toEqual([use, ['CORRUPTION', PATH, chainPage, `page ${repeated} listed twice in the free list`]])
    }
    await pager.close()
    expect(Buffer.from(vfs.readDurable(PATH)).equals(Buffer.from(before))).toBe(true)
  })

  it('a free list out of ascending order is CORRUPTION at open, naming the free-list page', async () => {
    const { vfs, pageSize, freeListPages } = await store()
    rewritePage(vfs, pageSize, freeListPages[0]!, (_, view) => {
      const [first, second] = [view.getUint32(24, true), view.getUint32(28, true)]
      view.setUint32(24, second, true)
      view.setUint32(28, first, true)
    })
    const error = await openError(vfs)
    expect([error.code, error.pageId]).toEqual(['CORRUPTION', freeListPages[0]])
    expect(error.message).toMatch(/the free list is not ascending$/)
  })

  it('a file shorter than its checkpoint records is CORRUPTION', async () => {
    const { vfs, pageSize, checkpoints } = await store()
    const file = await vfs.open(PATH)
    await file.truncate((checkpoints[1]!.meta.pageCount - 1) * pageSize)
    await file.sync()
    await file.close()
    const error = await openError(vfs)
    expect(error.code).toBe('CORRUPTION')
    expect(error.message).toMatch(/shorter than the \d+ pages of 1024 bytes checkpoint 2 records$/)
  })
})
