import { TinyDbError, type TinyDbErrorCode } from '@tinydb/engine'

/** The `abstract-level` error codes a TinyLevel raises itself (see the abstract-level README, "Errors"). */
export type LevelErrorCode =
  | 'LEVEL_INVALID_KEY'
  | 'LEVEL_INVALID_VALUE'
  | 'LEVEL_CORRUPTION'
  | 'LEVEL_IO_ERROR'
  | 'LEVEL_LOCKED'
  | 'LEVEL_DATABASE_NOT_OPEN'
  | 'LEVEL_NOT_SUPPORTED'
  | 'LEVEL_ABORTED'

/**
 * An error in the shape Level code expects: an uppercase `LEVEL_*` `code`, with the engine's
 * `TinyDbError` (and so its own stable code, file, page or offset) kept as `cause`.
 */
export class TinyLevelError extends Error {
  readonly code: LevelErrorCode

  constructor(code: LevelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TinyLevelError'
    this.code = code
  }
}

/**
 * The Level code for each engine code. `TOO_LARGE` depends on what was too large and is decided by
 * the caller (see `toLevelError`); `INVALID_ARGUMENT` cannot come from the adapter's own calls
 * (abstract-level hands it bytes only) except from bad engine options at open, where abstract-level
 * wraps it in `LEVEL_DATABASE_NOT_OPEN` anyway.
 */
const LEVEL_CODES: Record<Exclude<TinyDbErrorCode, 'TOO_LARGE'>, LevelErrorCode> = {
  INVALID_ARGUMENT: 'LEVEL_INVALID_VALUE',
  CORRUPTION: 'LEVEL_CORRUPTION',
  IO: 'LEVEL_IO_ERROR',
  // A poisoned store refused a write because an earlier fdatasync (or checkpoint) failed.
  POISONED: 'LEVEL_IO_ERROR',
  LOCKED: 'LEVEL_LOCKED',
  CLOSED: 'LEVEL_DATABASE_NOT_OPEN',
  UNSUPPORTED_FORMAT: 'LEVEL_NOT_SUPPORTED',
}

/**
 * Converts an engine error to a `TinyLevelError`; anything else passes through unchanged.
 * `keyTooLarge` answers, for a `TOO_LARGE` error, whether a key (rather than a value or the batch
 * as a whole) was over the limit.
 */
export function toLevelError(error: unknown, keyTooLarge?: () => boolean): unknown {
  if (!TinyDbError.isInstance(error)) return error
  const code: LevelErrorCode =
    error.code === 'TOO_LARGE'
      ? keyTooLarge?.() === true
        ? 'LEVEL_INVALID_KEY'
        : 'LEVEL_INVALID_VALUE'
      : LEVEL_CODES[error.code as Exclude<TinyDbErrorCode, 'TOO_LARGE'>]
  return new TinyLevelError(code, error.message, { cause: error })
}

/**
 * The error an iterator read rejects with once its `signal` is aborted: code `LEVEL_ABORTED` and
 * name `AbortError`, as abstract-level's own (which it does not export) and the web platform have it.
 */
export function abortError(reason: unknown): TinyLevelError {
  const error = new TinyLevelError('LEVEL_ABORTED', 'Operation has been aborted', { cause: reason })
  error.name = 'AbortError'
  return error
}
