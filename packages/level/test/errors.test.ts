import { describe, expect, it } from 'vitest'
import { TinyDbError, type TinyDbErrorCode } from '@tinydb/engine'
import { TinyLevelError, abortError, toLevelError } from '../src/errors.js'

describe('toLevelError', () => {
  const cases: [TinyDbErrorCode, string][] = [
    ['CORRUPTION', 'LEVEL_CORRUPTION'],
    ['IO', 'LEVEL_IO_ERROR'],
    ['POISONED', 'LEVEL_IO_ERROR'],
    ['LOCKED', 'LEVEL_LOCKED'],
    ['CLOSED', 'LEVEL_DATABASE_NOT_OPEN'],
    ['UNSUPPORTED_FORMAT', 'LEVEL_NOT_SUPPORTED'],
    ['INVALID_ARGUMENT', 'LEVEL_INVALID_VALUE'],
  ]

  it.each(cases)('maps %s to %s, keeping the engine error as cause', (code, levelCode) => {
    const original = new TinyDbError(code, `something ${code}`)
    const mapped = toLevelError(original) as TinyLevelError
    expect(mapped).toBeInstanceOf(TinyLevelError)
    expect(mapped.code).toBe(levelCode)
    expect(mapped.message).toBe(original.message)
    expect(mapped.cause).toBe(original)
  })

  it('maps TOO_LARGE by what was too large', () => {
    const tooLarge = new TinyDbError('TOO_LARGE', 'too large')
    expect((toLevelError(tooLarge, () => true) as TinyLevelError).code).toBe('LEVEL_INVALID_KEY')
    expect((toLevelError(tooLarge, () => false) as TinyLevelError).code).toBe('LEVEL_INVALID_VALUE')
    expect((toLevelError(tooLarge) as TinyLevelError).code).toBe('LEVEL_INVALID_VALUE')
  })

  it('makes aborted iterator reads LEVEL_ABORTED with the name AbortError, keeping the reason', () => {
    const reason = new Error('stop')
    const error = abortError(reason)
    expect(error).toBeInstanceOf(TinyLevelError)
    expect(error).toMatchObject({ code: 'LEVEL_ABORTED', name: 'AbortError', cause: reason })
  })

  it('passes other errors through unchanged', () => {
    const other = new RangeError('not ours')
    expect(toLevelError(other)).toBe(other)
  })
})
