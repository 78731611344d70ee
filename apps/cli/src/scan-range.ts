import type { ScanOptions } from '@tinydb/engine'
import { encodeText } from './text.js'

/** The scan flags of the command line, before they become engine options. */
export interface ScanFlags {
  readonly prefix?: string
  readonly gte?: string
  readonly lt?: string
  readonly limit?: number
  readonly reverse?: boolean
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0)
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

/**
 * The smallest key greater than every key that starts with `prefix`: drop trailing 0xff bytes and
 * increment the last remaining one. `undefined` when there is none (empty or all-0xff prefix), in
 * which case the range has no upper bound.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const bound = prefix.slice(0, end)
  bound[end - 1] = (bound[end - 1] ?? 0) + 1
  return bound
}

/** `--prefix` narrows `--gte`/`--lt` (the tighter bound of each side wins). */
export function scanOptions(flags: ScanFlags): ScanOptions {
  let gte = flags.gte === undefined ? undefined : encodeText(flags.gte)
  let lt = flags.lt === undefined ? undefined : encodeText(flags.lt)
  if (flags.prefix !== undefined) {
    const prefix = encodeText(flags.prefix)
    if (gte === undefined || compareBytes(prefix, gte) > 0) gte = prefix
    const end = prefixEnd(prefix)
    if (end !== undefined && (lt === undefined || compareBytes(end, lt) < 0)) lt = end
  }
  return {
    ...(gte === undefined ? {} : { gte }),
    ...(lt === undefined ? {} : { lt }),
    ...(flags.limit === undefined ? {} : { limit: flags.limit }),
    ...(flags.reverse === true ? { reverse: true } : {}),
  }
}
