import type { ByteImage } from './byte-image.js'
import type { Prng } from './prng.js'
import { applyChange, type FileNode, type PendingChange } from './sim-file.js'

/** A disk writes whole sectors atomically, and nothing larger: the unit a crash can tear a write into. */
export const SECTOR_SIZE = 512

type PendingWrite = Extract<PendingChange, { kind: 'write' }>

/** Splits a write at absolute file offsets that are multiples of SECTOR_SIZE. */
export function sectorPieces(write: PendingWrite): PendingWrite[] {
  const pieces: PendingWrite[] = []
  const end = write.position + write.bytes.length
  for (let start = write.position; start < end; ) {
    const stop = Math.min(end, (Math.floor(start / SECTOR_SIZE) + 1) * SECTOR_SIZE)
    const bytes = write.bytes.subarray(start - write.position, stop - write.position)
    pieces.push({ kind: 'write', seq: write.seq, position: start, bytes })
    start = stop
  }
  return pieces
}

/** The most recent unsynced write on the whole disk, and its file. */
export function lastPendingWrite(files: Iterable<FileNode>): { file: FileNode; write: PendingWrite } | undefined {
  let last: { file: FileNode; write: PendingWrite } | undefined
  for (const file of files) {
    for (const change of file.pending) {
      if (change.kind === 'write' && (last === undefined || change.seq > last.write.seq)) last = { file, write: change }
    }
  }
  return last
}

/** 'tear': the platter holds `file`'s durable bytes plus a random subset of `write`'s sectors. */
export function tornImage(file: FileNode, write: PendingWrite, prng: Prng): ByteImage {
  const image = file.durable.copy()
  for (const piece of sectorPieces(write)) {
    if (prng.bool()) image.write(piece.bytes, piece.position)
  }
  return image
}

/**
 * 'reorder': every sector of every unsynced write, and every unsynced truncate, independently
 * reached the platter or not, and those that did landed in a random order (so of two writes to one
 * sector, either may win). A sector landing past the durable end of file extends it with zeros.
 */
export function reorderedImage(file: FileNode, prng: Prng): ByteImage {
  const landed = file.pending
    .flatMap((change): PendingChange[] => (change.kind === 'write' ? sectorPieces(change) : [change]))
    .filter(() => prng.bool())
  const image = file.durable.copy()
  for (const change of prng.shuffle(landed)) applyChange(image, change)
  return image
}
