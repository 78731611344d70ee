/**
 * The one error type of TinyDB. Every package that throws re-exports it, and every failure a caller
 * can act on carries a stable `code`. Messages are for people; `code` (and, for corruption, the
 * `file` / `pageId` / `offset` fields) are for programs.
 */
export type TinyDbErrorCode =
  | 'INVALID_ARGUMENT'
  | 'TOO_LARGE'
  | 'CORRUPTION'
  | 'LOCKED'
  | 'CLOSED'
  | 'POISONED'
  | 'IO'
  | 'UNSUPPORTED_FORMAT'

export interface TinyDbErrorOptions {
  readonly cause?: unknown
  /** The file the problem was found in (path as given to the Vfs). */
  readonly file?: string
  /** Byte offset inside `file`. */
  readonly offset?: number
  /** Page id inside `file`. */
  readonly pageId?: number
  /** What failed, without the location (the message has both). */
  readonly detail?: string
}

// A brand instead of a bare `instanceof`: two installed copies of @tinydb/vfs (a common situation
// in monorepos) would otherwise produce errors that fail each other's `instanceof` checks.
const BRAND = Symbol.for('@tinydb/TinyDbError')

export class TinyDbError extends Error {
  readonly code: TinyDbErrorCode
  readonly file: string | undefined
  readonly offset: number | undefined
  readonly pageId: number | undefined
  readonly detail: string | undefined
  readonly [BRAND] = true

  constructor(code: TinyDbErrorCode, message: string, options: TinyDbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TinyDbError'
    this.code = code
    this.file = options.file
    this.offset = options.offset
    this.pageId = options.pageId
    this.detail = options.detail
  }

  static isInstance(value: unknown): value is TinyDbError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return TinyDbError.isInstance(value)
  }
}

/** Where corruption was found; at least the file, and the page or the byte offset when known. */
export interface CorruptionSite {
  readonly file: string
  readonly pageId?: number
  readonly offset?: number
}

/**
 * A `CORRUPTION` error whose message always names the file, the page or offset, and what failed,
 * e.g. `corruption in /db/data.tdb page 17 (offset 69632): checksum mismatch`.
 */
export function corruption(site: CorruptionSite, what: string, cause?: unknown): TinyDbError {
  const where = [
    site.pageId === undefined ? undefined : `page ${site.pageId}`,
    site.offset === undefined ? undefined : `offset ${site.offset}`,
  ].filter((part) => part !== undefined)
  const location = where.length === 0 ? '' : ` ${where[0]}${where.length > 1 ? ` (${where[1]})` : ''}`
  return new TinyDbError('CORRUPTION', `corruption in ${site.file}${location}: ${what}`, {
    file: site.file,
    detail: what,
    ...(site.pageId === undefined ? {} : { pageId: site.pageId }),
    ...(site.offset === undefined ? {} : { offset: site.offset }),
    ...(cause === undefined ? {} : { cause }),
  })
}

/** Wraps an operating-system error (EIO, ENOSPC, …) from `operation` on `file` as an `IO` error. */
export function ioError(operation: string, file: string, cause: unknown): TinyDbError {
  if (TinyDbError.isInstance(cause)) return cause
  const code = (cause as { code?: unknown } | null)?.code
  const detail = typeof code === 'string' ? code : String(cause)
  return new TinyDbError('IO', `${operation} failed on ${file}: ${detail}`, { file, cause })
}
