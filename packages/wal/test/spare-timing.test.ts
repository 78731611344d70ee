import { describe, expect, it } from 'vitest'
import { NodeVfs } from '@tinydb/vfs'
import { Wal } from '../src/index.js'
import { payloadFor, segmentFiles, tempWalDir } from './support/fixtures.js'

const SEGMENT_SIZE = 64 * 1024

describe('spare segments', () => {
  it('prepares the next segment only once the current one is half full', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(new NodeVfs(), dir, { segmentSize: SEGMENT_SIZE })
    // ~100 bytes a frame: 100 records fill far less than half of a 64 KiB segment.
    for (let i = 0; i < 100; i++) await wal.append(payloadFor(wal.nextLsn, 80))
    expect(segmentFiles(dir)).toHaveLength(1)

    // Past half of the segment, the next one is prepared in the background, ready before it is needed.
    while (wal.bytesSince(0) < SEGMENT_SIZE / 2 + 1024) await wal.append(payloadFor(wal.nextLsn, 1000))
    await wal.close()
    expect(segmentFiles(dir)).toHaveLength(2)
  })
})
