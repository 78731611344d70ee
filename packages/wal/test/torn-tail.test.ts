import { closeSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { NodeVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { collect, payloadFor, segmentFiles, tempWalDir } from './support/fixtures.js'

const vfs = new NodeVfs()
const HEADER = 32
const PAYLOAD = 100
const FRAME = 120 // 20-byte frame header + 100-byte payload, already a multiple of 8
const frameOffset = (lsn: number) => HEADER + (lsn - 1) * FRAME

/** A log whose first segment holds records 1..`single` in groups of one, then one group of `grouped`. */
async function writeLog(dir: string, single: number, grouped = 0): Promise<string> {
  const wal = await Wal.open(vfs, dir)
  for (let lsn = 1; lsn <= single; lsn++) await wal.append(payloadFor(lsn, PAYLOAD))
  await Promise.all(Array.from({ length: grouped }, (_, i) => wal.append(payloadFor(single + i + 1, PAYLOAD))))
  await wal.close()
  // These tests damage the log as a crash (or rot before a scan) would; a crash leaves no clean-end
  // record, so drop the one the clean close wrote and make open scan the segment.
  rmSync(join(dir, 'clean-end'))
  return segmentFiles(dir)[0] as string
}

function patch(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, bytes, 0, bytes.length, offset)
  } finally {
    closeSync(fd)
  }
}

function flipBit(path: string, offset: number): void {
  const byte = readFileSync(path).subarray(offset, offset + 1)
  patch(path, offset, new Uint8Array([(byte[0] as number) ^ 0x10]))
}

async function expectRecords(wal: Wal, last: number): Promise<void> {
  const records = await collect(wal.read())
  expect(records.map((r) => r.lsn)).toEqual(Array.from({ length: last }, (_, i) => i + 1))
  for (const record of records) expect(record.payload).toEqual(payloadFor(record.lsn, PAYLOAD))
}

async function openError(dir: string): Promise<TinyDbError> {
  const error: unknown = await Wal.open(vfs, dir).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(TinyDbError.isInstance(error)).toBe(true)
  return error as TinyDbError
}

describe('torn tail', () => {
  it('discards a frame cut off by the end of the file', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 10)
    truncateSync(segment, frameOffset(10) + 50)
    const wal = await Wal.open(vfs, dir)
    expect(wal.openReport).toEqual({ segments: 1, firstLsn: 1, lastLsn: 9, discardedTailBytes: 50 })
    expect(wal.nextLsn).toBe(10)
    await expectRecords(wal, 9)
    // The next append goes to a new segment; the torn bytes are never read again.
    expect(await wal.append(payloadFor(10, PAYLOAD))).toBe(10)
    await wal.close()
    const reopened = await Wal.open(vfs, dir)
    expect(reopened.openReport).toMatchObject({ segments: 2, lastLsn: 10, discardedTailBytes: 0 })
    await expectRecords(reopened, 10)
    await reopened.close()
  })

  it('discards a frame whose payload never reached the disk (zeroed tail)', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 10)
    patch(segment, frameOffset(10) + 20, new Uint8Array(FRAME - 20))
    const wal = await Wal.open(vfs, dir)
    expect(wal.openReport).toMatchObject({ lastLsn: 9, discardedTailBytes: FRAME })
    await expectRecords(wal, 9)
    await wal.close()
  })

  it('finds nothing to discard when the whole last group is zero', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 6, 4)
    patch(segment, frameOffset(7), new Uint8Array(4 * FRAME))
    const wal = await Wal.open(vfs, dir)
    expect(wal.openReport).toMatchObject({ lastLsn: 6, discardedTailBytes: 0 })
    await wal.close()
  })

  it('treats a torn group whose later frames survive as the tail, not corruption', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 5, 5) // records 6..10 are one commit group
    // A lost sector in the middle of the group: frame 8 torn, frames 9 and 10 intact.
    patch(segment, frameOffset(8), new Uint8Array(FRAME).fill(0x5a))
    const wal = await Wal.open(vfs, dir)
    expect(wal.openReport).toMatchObject({ lastLsn: 7, discardedTailBytes: 3 * FRAME })
    await expectRecords(wal, 7)
    await wal.close()
  })

  it('reports a damaged record followed by a later commit group as CORRUPTION, with file and offset', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 10) // ten groups of one
    flipBit(segment, frameOffset(5) + 60)
    const error = await openError(dir)
    expect(error.code).toBe('CORRUPTION')
    expect(error.file).toBe(segment)
    expect(error.offset).toBe(frameOffset(5))
    expect(error.message).toContain(segment)
    expect(error.message).toContain('record lsn 5')
    expect(error.message).toContain('checksum')
  })

  it('reports a damaged LSN field followed by later groups as CORRUPTION', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 8, 3)
    flipBit(segment, frameOffset(8) + 8) // the LSN of record 8, the last group of one
    const error = await openError(dir)
    expect(error).toMatchObject({ code: 'CORRUPTION', file: segment, offset: frameOffset(8) })
  })
})

describe('damage before the last segment', () => {
  async function writeSegments(dir: string): Promise<Wal> {
    const wal = await Wal.open(vfs, dir, { segmentSize: 1024 })
    for (let lsn = 1; lsn <= 40; lsn++) await wal.append(payloadFor(lsn, PAYLOAD))
    await wal.close()
    return Wal.open(vfs, dir, { segmentSize: 1024 })
  }

  it('opens (only the last segment is scanned) but read() throws CORRUPTION at the damaged frame', async () => {
    const dir = tempWalDir()
    await (await writeSegments(dir)).close()
    const second = segmentFiles(dir)[1] as string
    const firstLsnOfSecond = readFileSync(second).readUInt32LE(16)
    flipBit(second, HEADER + FRAME + 30) // the second record of the second segment
    const wal = await Wal.open(vfs, dir, { segmentSize: 1024 })
    const error: unknown = await collect(wal.read()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CORRUPTION', file: second, offset: HEADER + FRAME })
    expect((error as Error).message).toContain(`record lsn ${firstLsnOfSecond + 1}`)
    // Records after the damage, in later segments, are still readable from there.
    const tail = await collect(wal.read(firstLsnOfSecond + 20))
    expect(tail[0]?.lsn).toBe(firstLsnOfSecond + 20)
    await wal.close()
  })

  it('reports records missing from the end of an earlier segment', async () => {
    const dir = tempWalDir()
    await (await writeSegments(dir)).close()
    const first = segmentFiles(dir)[0] as string
    truncateSync(first, HEADER + FRAME * 2 + 7)
    const wal = await Wal.open(vfs, dir, { segmentSize: 1024 })
    await expect(collect(wal.read())).rejects.toMatchObject({ code: 'CORRUPTION', file: first, offset: HEADER + 2 * FRAME })
    await wal.close()
  })

  it('reports a damaged segment header', async () => {
    const dir = tempWalDir()
    await (await writeSegments(dir)).close()
    const second = segmentFiles(dir)[1] as string
    flipBit(second, 17)
    expect(await openError(dir)).toMatchObject({ code: 'CORRUPTION', file: second, offset: 0 })
  })

  it('reports a segment header that was zeroed while a later segment is in use', async () => {
    const dir = tempWalDir()
    await (await writeSegments(dir)).close()
    const second = segmentFiles(dir)[1] as string
    patch(second, 0, new Uint8Array(HEADER))
    expect(await openError(dir)).toMatchObject({ code: 'CORRUPTION', file: second })
  })

  it('reports the zeroed header of the last segment when its records are there', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 3)
    patch(segment, 0, new Uint8Array(HEADER))
    const error = await openError(dir)
    expect(error).toMatchObject({ code: 'CORRUPTION', file: segment })
    expect(error.message).toContain('holds record lsn 1')
  })

  it('refuses a segment of another format version with UNSUPPORTED_FORMAT', async () => {
    const dir = tempWalDir()
    const segment = await writeLog(dir, 1)
    const { encodeSegmentHeader } = await import('../src/segment-format.js')
    const header = encodeSegmentHeader({ seq: 1, firstLsn: 1, salt: 7 })
    header.writeUInt16LE(2, 4)
    const { crc32c } = await import('@node-rs/crc32')
    header.writeUInt32LE(crc32c(header.subarray(0, 28)), 28)
    patch(segment, 0, header)
    expect(await openError(dir)).toMatchObject({ code: 'UNSUPPORTED_FORMAT', file: segment })
  })

  it('ignores files in the directory that are not segments', async () => {
    const dir = tempWalDir()
    await writeLog(dir, 2)
    writeFileSync(`${dir}/notes.txt`, 'hello')
    const wal = await Wal.open(vfs, dir)
    await expectRecords(wal, 2)
    await wal.close()
  })
})
