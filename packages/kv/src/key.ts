import { TinyDbError } from '@tinydb/vfs'

export function assertKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TinyDbError('INVALID_ARGUMENT', 'key must be a Uint8Array')
}
