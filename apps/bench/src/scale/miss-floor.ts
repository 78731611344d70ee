import { crc32 } from '@node-rs/crc32'
import { closeSync, openSync, readSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { randomIndexes } from '../compare/keys.js'

/** Passes of reads alone and of reads with checksums, alternating. */
const PASSES_OF_EACH_KIND = 3

export interface MissFloor {
  /** Mean µs of one positioned read (`readSync`) of a random page of the file, from the OS page cache. */
  readonly readUs: number
  /** Mean µs the CRC-32 of a page just read adds (TinyDB checks one on every page it reads from its file). */
  readonly checksumUs: number
}

/**
 * What a get that misses the page cache pays at the least, without memory-mapping the file (which
 * Node cannot do): one read system call of a page and its checksum. Measured on the store's own
 * data file right after the gets, so the pages sit in the OS page cache as they did for them:
 * `count` reads of random pages in [2, `pageCount`), each into a random one of `cacheBytes` of
 * page buffers (as a cache that size reuses them: into memory the CPU's caches mostly do not
 * hold); then the same reads again, each followed by the page's checksum (CRC-32: what the data
 * file's format uses for 4 KiB pages), the difference being the checksum's cost. The two kinds of
 * pass alternate and the fastest of each counts: a first pass also pays for bringing the pages and
 * their page-table entries back into the CPU's reach, and charged to the reads alone that left the
 * checksum at zero (0.00 µs on an AMD EPYC machine, where 4 KiB take ~0.45 µs).
 */
export function measureMissFloor(path: string, pageSize: number, pageCount: number, cacheBytes: number, count: number, seed: number): MissFloor {
  const pages = randomIndexes(count, pageCount - 2, seed)
  const slots = Math.max(1, Math.floor(cacheBytes / pageSize))
  const into = randomIndexes(count, slots, seed + 1)
  const memory = new Uint8Array(slots * pageSize)
  const images = Array.from({ length: slots }, (_, slot) => memory.subarray(slot * pageSize, (slot + 1) * pageSize))
  const fd = openSync(path, 'r')
  try {
    const readAll = (checksum: boolean): number => {
      const started = performance.now()
      for (let i = 0; i < count; i++) {
        const image = images[into[i]!]!
        readSync(fd, image, 0, pageSize, (2 + pages[i]!) * pageSize)
        if (checksum) crc32(image.subarray(4))
      }
      return ((performance.now() - started) * 1000) / count
    }
    let readUs = Number.POSITIVE_INFINITY
    // Checksummed right after its read, as the pager does: while the page is in the CPU's caches.
    let checkedUs = Number.POSITIVE_INFINITY
    for (let pass = 0; pass < PASSES_OF_EACH_KIND; pass++) {
      readUs = Math.min(readUs, readAll(false))
      checkedUs = Math.min(checkedUs, readAll(true))
    }
    return { readUs, checksumUs: Math.max(0, checkedUs - readUs) }
  } finally {
    closeSync(fd)
  }
}

/**
 * The most random gets per second a store could do at `pageReadsPerGet` page reads per get, when
 * everything but those reads costs what a get costs with every page cached (`cachedGetsPerSec`).
 */
export function bestGetsPerSec(cachedGetsPerSec: number, pageReadsPerGet: number, floor: MissFloor): number {
  return 1 / (1 / cachedGetsPerSec + (pageReadsPerGet * (floor.readUs + floor.checksumUs)) / 1e6)
}
