import { TinyDbError } from './errors.js'

/** Rejects a position or size that is not a non-negative safe integer, before it reaches the disk. */
export function checkOffset(value: number, what: string, file: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TinyDbError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${value} (${file})`, { file })
  }
}
