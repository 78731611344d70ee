import { join } from 'node:path'
import { bench, do_not_optimize, group } from 'mitata'
import { FilePager, FIRST_USER_PAGE_TYPE } from '@tinydb/pager'
import type { Pager } from '@tinydb/pager'
import type { Vfs } from '@tinydb/vfs'
import { FloorFile } from '../floor.js'
import type { FloorPairing } from './pairing.js'

const PAGE_SIZE = 4096
const PAGES = 2048
/** A cache far smaller than the file, so random reads miss (they still hit the OS page cache). */
const SMALL_CACHE = 16 * PAGE_SIZE
const LARGE_CACHE = 64 * 1024 * 1024
const PAGES_PER_CHECKPOINT = 16
const PAGE_TYPE = FIRST_USER_PAGE_TYPE

/** A fixed pseudo-random visiting order (xorshift32, seed 1), so every run reads the same pages. */
function visitOrder(ids: readonly number[], length: number): number[] {
  let state = 1
  return Array.from({ length }, () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return ids[(state >>> 0) % ids.length] ?? 0
  })
}

/** Writes `PAGES` pages and checkpoints them, so they are on disk and referenced by the meta. */
async function populate(vfs: Vfs, path: string): Promise<number[]> {
  const pager = await FilePager.open(vfs, path, { pageSize: PAGE_SIZE, cacheSize: LARGE_CACHE })
  const ids: number[] = []
  for (let index = 0; index < PAGES; index++) {
    const page = pager.allocate(PAGE_TYPE)
    page.body.fill(index & 0xff)
    ids.push(page.id)
  }
  await pager.beginCheckpoint({ rootPageId: ids[0] ?? 0, checkpointLsn: 1 }).commit()
  await pager.close()
  return ids
}

function readLoop(pager: Pager, order: readonly number[]): () => void {
  let next = 0
  return () => {
    do_not_optimize(pager.read(order[next] ?? 0))
    next = (next + 1) % order.length
  }
}

/**
 * FilePager reads against their floors (a Map lookup for a cached page, a bare `readSync` of one page
 * for an uncached one: the difference is the pager's checksum, header checks and cache upkeep), and a
 * checkpoint of 16 fresh pages against its floor: the same bytes in two write+fdatasync rounds (pages,
 * then the meta page), which is the least a crash-safe checkpoint can do.
 */
export function pagerBenchmarks(vfs: Vfs, dir: string): FloorPairing[] {
  const path = join(dir, 'pager.tdb')
  let populated: Promise<number[]> | undefined
  const pageIds = () => (populated ??= populate(vfs, path))
  const names = {
    floorCached: 'floor: Map.get of a cached page',
    cached: 'pager.read, cached',
    floorUncached: `floor: readSync of one ${PAGE_SIZE}-byte page`,
    uncached: 'pager.read, uncached (OS page cache)',
    floorCheckpoint: `floor: write ${PAGES_PER_CHECKPOINT} pages + fdatasync, write 1 page + fdatasync`,
    checkpoint: `pager: allocate ${PAGES_PER_CHECKPOINT} pages + checkpoint`,
  }

  group(`pager: ${PAGE_SIZE}-byte pages, ${PAGES}-page file`, () => {
    bench(names.floorCached, async function* () {
      const ids = await pageIds()
      const pages = new Map(ids.map((id) => [id, { id, body: new Uint8Array(PAGE_SIZE) }]))
      const order = visitOrder(ids, 4096)
      let next = 0
      yield () => {
        do_not_optimize(pages.get(order[next] ?? 0))
        next = (next + 1) % order.length
      }
    })
    bench(names.cached, async function* () {
      const ids = await pageIds()
      const pager = await FilePager.open(vfs, path, { pageSize: PAGE_SIZE, cacheSize: LARGE_CACHE })
      for (const id of ids) pager.read(id)
      yield readLoop(pager, visitOrder(ids, 4096))
      await pager.close()
    })
    bench(names.floorUncached, async function* () {
      const ids = await pageIds()
      const file = await vfs.open(path)
      const buffer = new Uint8Array(PAGE_SIZE)
      const order = visitOrder(ids, 4096)
      let next = 0
      yield () => {
        do_not_optimize(file.readSync(buffer, (order[next] ?? 0) * PAGE_SIZE))
        next = (next + 1) % order.length
      }
      await file.close()
    })
    bench(names.uncached, async function* () {
      const ids = await pageIds()
      const pager = await FilePager.open(vfs, path, { pageSize: PAGE_SIZE, cacheSize: SMALL_CACHE })
      yield readLoop(pager, visitOrder(ids, 4096))
      await pager.close()
    })
    bench(names.floorCheckpoint, async function* () {
      const floor = await FloorFile.open(vfs, join(dir, 'floor-pager'), 8 * 1024 * 1024)
      const pages = new Uint8Array(PAGE_SIZE * PAGES_PER_CHECKPOINT).fill(0x61)
      const meta = new Uint8Array(PAGE_SIZE).fill(0x62)
      yield async () => {
        await floor.append(pages)
        await floor.append(meta)
      }
      await floor.close()
    })
    bench(names.checkpoint, async function* () {
      const pager = await FilePager.open(vfs, join(dir, 'checkpoint.tdb'), { pageSize: PAGE_SIZE, cacheSize: LARGE_CACHE })
      let previous: number[] = []
      let lsn = 0
      yield async () => {
        // Free the last round's pages so the file reaches a steady size (they become reusable once
        // this round's checkpoint is durable).
        for (const id of previous) pager.free(id)
        previous = []
        for (let index = 0; index < PAGES_PER_CHECKPOINT; index++) {
          const page = pager.allocate(PAGE_TYPE)
          page.body.fill(index)
          previous.push(page.id)
        }
        await pager.beginCheckpoint({ rootPageId: previous[0] ?? 0, checkpointLsn: ++lsn }).commit()
      }
      await pager.close()
    })
  })

  return [
    { name: names.cached, floor: names.floorCached, opsPerIteration: 1 },
    { name: names.uncached, floor: names.floorUncached, opsPerIteration: 1 },
    { name: names.checkpoint, floor: names.floorCheckpoint, opsPerIteration: 1 },
  ]
}
