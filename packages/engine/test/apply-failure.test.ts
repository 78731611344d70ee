import { describe, expect, it } from 'vitest'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { open } from '../src/index.js'

const decoder = new TextDecoder()

async function errorOf(run: () => Promise<unknown>): Promise<TinyDbError> {
  try {
    await run()
  } catch (error) {
    if (TinyDbError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a TinyDbError')
}

describe('a durable record that cannot be applied', () => {
  it('refuses reads as well as writes until reopened, and the reopen replays it', async () => {
    const vfs = new SimVfs({ seed: 5 })
    const options = { vfs, pageSize: 512, cacheSize: 512 * 2 }
    const seeded = await open('/db', options)
    await seeded.batch(Array.from({ length: 300 }, (_, i) => ({ type: 'put' as const, key: `key${String(i).padStart(3, '0')}`, value: `value${i}` })))
    await seeded.close()

    const db = await open('/db', options)
    // The record is logged and fdatasynced, then applying it needs pages the tiny cache no longer
    // holds, and reading them fails: the tree may now be half-modified.
    vfs.injectFault({ operation: 'read', path: /data\.tdb$/, error: 'EIO', times: Infinity })
    const failed = await errorOf(() => db.put('key150', 'changed'))
    expect(failed.code).toBe('IO')
    vfs.clearFaults()
    // Even with the disk healthy again, the in-memory tree is not trusted: no read may see it.
    expect((await errorOf(() => db.get('key001'))).code).toBe('POISONED')
    expect((await errorOf(() => db.put('key002', 'x'))).code).toBe('POISONED')
    await db.close()

    const reopened = await open('/db', options)
    expect(decoder.decode(await reopened.get('key150'))).toBe('changed')
    expect(decoder.decode(await reopened.get('key001'))).toBe('value1')
    expect((await reopened.check()).problems).toEqual([])
    await reopened.close()
  })
})
