import { open as openFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { open } from '@tinydb/engine'
import { lines, tinydbIn } from './cli.js'

// One store for the read-only tests: 300 small entries (two levels: a root branch over leaves) and
// one 10000-byte value (an overflow chain of three 4 KiB pages).
let dir: string
let rootPageId: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tinydb-cli-inspect-page-'))
  const db = await open(dir)
  for (let i = 0; i < 300; i++) await db.put(`key${String(i).padStart(4, '0')}`, `value ${i}`)
  await db.put('big', 'y'.repeat(10_000))
  await db.close()
  const meta = JSON.parse((await tinydbIn(dir, 'inspect', 'meta', '--json')).stdout) as { live: 0 | 1; slots: Array<{ meta: { rootPageId: number } }> }
  rootPageId = meta.slots[meta.live]!.meta.rootPageId
})

afterAll(() => rm(dir, { recursive: true, force: true }))

interface PageJson {
  type: number
  typeName: string
  checksumOk: boolean
  role: string | null
  hex?: string
  content: {
    kind: string
    children?: number[]
    cells: Array<{ key: { utf8: string }; value?: { utf8: string }; overflowPageId?: number; childPageId?: number }>
    nextPageId?: number
    chunkLength?: number
    space?: { usedBytes: number; usableBytes: number; freeBytes: number }
  }
}

async function pageJson(id: number, ...extra: string[]): Promise<PageJson> {
  const result = await tinydbIn(dir, 'inspect', 'page', String(id), '--json', ...extra)
  expect(result).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(result.stdout) as PageJson
}

describe('inspect page', () => {
  it('decodes the root branch: separators, children, free space, checksum', async () => {
    const result = await tinydbIn(dir, 'inspect', 'page', String(rootPageId))
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const printed = lines(result.stdout)
    expect(printed[0]).toBe(`page ${rootPageId} (page size 4096, file offset ${rootPageId * 4096})`)
    expect(printed[1]).toMatch(new RegExp(`^header: id ${rootPageId}, type 17 \\(branch\\), written by checkpoint 1, crc ok \\(0x[0-9a-f]{8}\\)$`))
    expect(printed).toContain('role: the ROOT of the live tree')
    expect(printed).toContainEqual(expect.stringMatching(/^child 0 \(keys below the first separator\): page \d+$/))
    // Every separator starts with "key0": the heads are the next bytes ("0073" → 30373300; 3 bytes and padding).
    expect(printed).toContainEqual(
      expect.stringMatching(/^branch: \d+ cells; slots \(offsets, then key heads after the 4-byte prefix all keys share\) end at body offset \d+, cells start at \d+/),
    )
    expect(printed).toContainEqual(expect.stringMatching(/^slot 0 @\d+ head 3\d3\d3\d00: key="key0\d{3}" -> child page \d+$/))
    const root = await pageJson(rootPageId)
    expect(root.content.kind).toBe('branch')
    expect(root.content.children!.length).toBe(root.content.cells.length + 1)
  })

  it('decodes every leaf: keys in order, inline values, the overflow reference', async () => {
    const root = await pageJson(rootPageId)
    const keys: string[] = []
    let overflowPageId: number | undefined
    for (const child of root.content.children!) {
      const leaf = await pageJson(child)
      expect(leaf).toMatchObject({ typeName: 'leaf', checksumOk: true })
      expect(leaf.content.space!.usedBytes).toBeLessThanOrEqual(leaf.content.space!.usableBytes)
      for (const cell of leaf.content.cells) {
        keys.push(cell.key.utf8)
        if (cell.key.utf8 === 'big') overflowPageId = cell.overflowPageId
        else expect(cell.value).toEqual({ utf8: `value ${Number(cell.key.utf8.slice(3))}` })
      }
    }
    expect(keys).toHaveLength(301)
    expect(keys).toEqual([...keys].sort())
    // The chain: 10000 bytes over pages holding 4072 each, the last page naming no next.
    let chunks = 0
    let bytes = 0
    for (let id = overflowPageId!; id !== 0; ) {
      const page = await pageJson(id)
      expect(page.content.kind).toBe('overflow')
      bytes += page.content.chunkLength!
      chunks++
      id = page.content.nextPageId!
    }
    expect({ chunks, bytes }).toEqual({ chunks: 3, bytes: 10_000 })
  })

  it('--hex dumps the page, header first', async () => {
    const printed = lines((await tinydbIn(dir, 'inspect', 'page', String(rootPageId), '--hex')).stdout)
    const at = printed.findIndex((line) => line.startsWith('hex '))
    const pageIdHex = Buffer.alloc(4)
    pageIdHex.writeUInt32LE(rootPageId)
    expect(printed[at + 1]).toMatch(new RegExp(`^00000000 {2}([0-9a-f]{2} ){4}${[...pageIdHex].map((b) => b.toString(16).padStart(2, '0')).join(' ')} {2}11 00 00 00 01 00 00 00 `))
    expect((await pageJson(rootPageId, '--hex')).hex).toHaveLength(4096 * 2)
  })

  it('refuses a page beyond the page count (exit 1) and a bad id (exit 2)', async () => {
    const beyond = await tinydbIn(dir, 'inspect', 'page', '100000')
    expect(beyond.code).toBe(1)
    expect(beyond.stderr).toMatch(/^error: page 100000 does not exist: the live checkpoint has \d+ pages/)
    expect((await tinydbIn(dir, 'inspect', 'page', 'x')).code).toBe(2)
  })

  // Last in this file: it damages the shared store.
  it('shows a damaged page with both checksums instead of failing', async () => {
    const leafId = (await pageJson(rootPageId)).content.children![0]!
    const file = await openFile(join(dir, 'data.tdb'), 'r+')
    await file.write(Buffer.from([0xff]), 0, 1, leafId * 4096 + 100)
    await file.close()
    const result = await tinydbIn(dir, 'inspect', 'page', String(leafId))
    expect(result.code).toBe(0)
    expect(lines(result.stdout)[1]).toMatch(/crc MISMATCH \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/)
  })
})
