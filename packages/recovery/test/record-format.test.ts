import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TinyDbError } from '@tinydb/vfs'
import { decodeBatch, encodeBatch, encodedBatchSize, type LogOperation } from '../src/record-format.js'

const site = { file: '/db/wal', lsn: 7 }
const bytes = fc.uint8Array({ maxLength: 64 })
const operation: fc.Arbitrary<LogOperation> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: bytes, value: bytes }),
  fc.record({ type: fc.constant('del' as const), key: bytes }),
)

function corruptionOf(run: () => unknown): TinyDbError {
  try {
    run()
  } catch (error) {
    if (TinyDbError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a TinyDbError')
}

describe('log record format', () => {
  it('round-trips any batch', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 20 }), (operations) => {
        const encoded = encodeBatch(operations)
        expect(encoded.length).toBe(encodedBatchSize(operations))
        expect(decodeBatch(encoded, site)).toEqual(operations)
      }),
      { seed: 42, numRuns: 300 },
    )
  })

  it('reports every truncation of a valid record as corruption naming the log and lsn', () => {
    const encoded = encodeBatch([
      { type: 'put', key: new Uint8Array([1, 2]), value: new Uint8Array([3]) },
      { type: 'del', key: new Uint8Array([4]) },
    ])
    for (let length = 0; length < encoded.length; length++) {
      const error = corruptionOf(() => decodeBatch(encoded.subarray(0, length), site))
      expect(error.code).toBe('CORRUPTION')
      expect(error.message).toContain('/db/wal')
      expect(error.message).toContain('lsn 7')
    }
  })

  it('rejects unknown kinds, unknown operations and trailing bytes', () => {
    const encoded = encodeBatch([{ type: 'del', key: new Uint8Array([9]) }])
    const badKind = encoded.slice()
    badKind[0] = 9
    expect(corruptionOf(() => decodeBatch(badKind, site)).message).toContain('unknown record kind 9')
    const badOp = encoded.slice()
    badOp[5] = 7
    expect(corruptionOf(() => decodeBatch(badOp, site)).message).toContain('unknown type 7')
    const trailing = new Uint8Array(encoded.length + 1)
    trailing.set(encoded)
    expect(corruptionOf(() => decodeBatch(trailing, site)).message).toContain('trailing')
  })
})
