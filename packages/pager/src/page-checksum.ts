import { crc32, crc32c } from './crc32.js'

/** The checksum in a page's first 4 bytes covers everything after it: header fields and body alike. */
export const PAGE_CHECKSUMMED_FROM = 4

/** A checksum over bytes [4, pageSize) of a whole page image, as stored at offset 0. */
export interface PageChecksum {
  readonly name: 'CRC-32' | 'CRC-32C'
  compute(page: Uint8Array): number
}

export const CRC32C_PAGE_CHECKSUM: PageChecksum = {
  name: 'CRC-32C',
  compute: (page) => crc32c(page.subarray(PAGE_CHECKSUMMED_FROM)) >>> 0,
}

export const CRC32_PAGE_CHECKSUM: PageChecksum = {
  name: 'CRC-32',
  compute: (page) => crc32(page.subarray(PAGE_CHECKSUMMED_FROM)) >>> 0,
}

/** The data-file format version new files are written in; see FORMAT.md, "Format versions". */
export const FORMAT_VERSION = 3

/**
 * Format 2 checksums pages of at most this many bytes with CRC-32 (IEEE), larger ones with
 * CRC-32C. Both detect every error of up to 3 bits in any page and any burst of up to 32 bits, and
 * miss a random corruption with probability 2^-32; CRC-32 also detects every 4-bit error only up to
 * 91,607 bits (~11 KiB), CRC-32C up to 2^31 bits. So up to 8 KiB pages lose nothing by CRC-32,
 * which `@node-rs/crc32` computes ~3× faster here (PCLMULQDQ folding, ~0.7 µs for 4 KiB against
 * ~2.1 µs): every page read from the file and every page a checkpoint writes pays it.
 */
export const CRC32_MAX_PAGE_SIZE = 8192

/**
 * How pages of a data file in `version` with `pageSize`-byte pages are checksummed (meta pages
 * excepted: see `META_CHECKSUM`), or undefined for a version this build does not read.
 * - 1: CRC-32C for every page size.
 * - 2 and 3: CRC-32 up to `CRC32_MAX_PAGE_SIZE`, CRC-32C above. (Version 3 changes nothing the
 *   pager reads or writes: it marks files whose user pages use layouts that a reader of version 2
 *   does not know, so that such a reader refuses the file instead of misreading it.)
 * A file keeps the version it was created in: the pager writes every later checkpoint of it in that
 * version (`tinydb compact` rewrites a store in the current one).
 */
export function pageChecksumFor(version: number, pageSize: number): PageChecksum | undefined {
  if (version === 1) return CRC32C_PAGE_CHECKSUM
  if (version === 2 || version === 3) return pageSize <= CRC32_MAX_PAGE_SIZE ? CRC32_PAGE_CHECKSUM : CRC32C_PAGE_CHECKSUM
  return undefined
}

/**
 * Meta pages are checksummed with CRC-32C in every format version, like their magic, version and
 * page-size fields stay at fixed offsets: so any version can tell a torn meta page from a file
 * written in a newer format, before it knows how that format checksums its other pages.
 */
export const META_CHECKSUM = CRC32C_PAGE_CHECKSUM
