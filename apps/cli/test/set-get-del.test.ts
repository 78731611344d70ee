import { describe, expect, it } from 'vitest'
import { tinydbIn, withTempDir } from './cli.js'

describe('set / get / del', () => {
  it('prints OK, Value: <value>, OK, and Key not found with exit code 1', () =>
    withTempDir(async (dir) => {
      expect(await tinydbIn(dir, 'set', 'hello', 'world')).toEqual({ code: 0, stdout: 'OK\n', stderr: '' })
      expect(await tinydbIn(dir, 'get', 'hello')).toEqual({ code: 0, stdout: 'Value: world\n', stderr: '' })
      expect(await tinydbIn(dir, 'del', 'hello')).toEqual({ code: 0, stdout: 'OK\n', stderr: '' })
      expect(await tinydbIn(dir, 'get', 'hello')).toEqual({ code: 1, stdout: '', stderr: 'Key not found: hello\n' })
      // Deleting a missing key is not an error.
      expect(await tinydbIn(dir, 'del', 'hello')).toEqual({ code: 0, stdout: 'OK\n', stderr: '' })
    }))

  it('keeps UTF-8, spaces and tabs intact, overwrites, and accepts an empty value', () =>
    withTempDir(async (dir) => {
      await tinydbIn(dir, 'set', 'clé', 'été à Zürich\tvalue with spaces')
      expect((await tinydbIn(dir, 'get', 'clé')).stdout).toBe('Value: été à Zürich\tvalue with spaces\n')
      await tinydbIn(dir, 'set', 'clé', '')
      expect(await tinydbIn(dir, 'get', 'clé')).toEqual({ code: 0, stdout: 'Value: \n', stderr: '' })
    }))
})
