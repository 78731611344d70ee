import { join } from 'node:path'
import { bench, group } from 'mitata'
import type { Vfs } from '@tinydb/vfs'
import { Wal } from '@tinydb/wal'
import { FloorFile } from '../floor.js'
import type { FloorPairing } from './pairing.js'

/** A put of a 16-byte key and a 128-byte value, as @tinydb/recovery encodes it (see its FORMAT.md). */
const PAYLOAD_SIZE = 14 + 16 + 128
/** The same record as a log frame: 20-byte header, padded to 8 bytes (@tinydb/wal FORMAT.md). */
const FRAME_SIZE = Math.ceil((20 + PAYLOAD_SIZE) / 8) * 8
const CONCURRENT_WRITERS = 64
const FLOOR_CAPACITY = 8 * 1024 * 1024

/**
 * Durable appends through the log against the raw floor. One writer pays one fdatasync per record;
 * 64 concurrent writers should share a few fdatasyncs (group commit), so their round is compared with
 * one write of 64 frames and a single fdatasync — what a perfect group commit would do.
 */
export function walBenchmarks(vfs: Vfs, dir: string): FloorPairing[] {
  const payload = new Uint8Array(PAYLOAD_SIZE).fill(0x61)
  const names = {
    floorOne: 'floor: write 1 frame + fdatasync',
    walOne: 'wal.append, 1 writer',
    floorGroup: `floor: write ${CONCURRENT_WRITERS} frames + fdatasync`,
    walGroup: `wal.append, ${CONCURRENT_WRITERS} concurrent writers`,
  }

  group(`wal: durable append of a ${PAYLOAD_SIZE}-byte record`, () => {
    bench(names.floorOne, async function* () {
      const floor = await FloorFile.open(vfs, join(dir, 'floor-wal-1'), FLOOR_CAPACITY)
      const frame = new Uint8Array(FRAME_SIZE).fill(0x61)
      yield () => floor.append(frame)
      await floor.close()
    })
    bench(names.walOne, async function* () {
      const wal = await Wal.open(vfs, join(dir, 'wal-1'), {})
      yield () => wal.append(payload)
      await wal.close()
    })
    bench(names.floorGroup, async function* () {
      const floor = await FloorFile.open(vfs, join(dir, 'floor-wal-64'), FLOOR_CAPACITY)
      const frames = new Uint8Array(FRAME_SIZE * CONCURRENT_WRITERS).fill(0x61)
      yield () => floor.append(frames)
      await floor.close()
    })
    bench(names.walGroup, async function* () {
      const wal = await Wal.open(vfs, join(dir, 'wal-64'), {})
      const writers = Array.from({ length: CONCURRENT_WRITERS })
      yield () => Promise.all(writers.map(() => wal.append(payload)))
      await wal.close()
    })
  })

  return [
    { name: names.walOne, floor: names.floorOne, opsPerIteration: 1 },
    { name: names.walGroup, floor: names.floorGroup, opsPerIteration: CONCURRENT_WRITERS },
  ]
}
