import { describe, expect, it } from 'vitest'
import { vfsConformance } from '../src/conformance.js'
import { SimVfs, TinyDbError } from '../src/index.js'
import { bytes, caught, put, slurp } from './helpers.js'

vfsConformance({ describe, it, expect }, async () => {
  const vfs = new SimVfs({ seed: 7 })
  await vfs.mkdir('/conformance')
  return { vfs, dir: '/conformance', cleanup: async () => {} }
})

/** A SimVfs with a durable /db directory, as a store's setup (mkdir, then syncDir of the parent) leaves it. */
async function machine(seed = 1): Promise<SimVfs> {
  const vfs = new SimVfs({ seed })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  return vfs
}

describe('SimVfs: file content durability', () => {
  it('loses unsynced writes on crash and keeps synced ones', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'synced', { sync: true })
    await vfs.syncDir('/db')
    await file.write(bytes('LOST'), 0)
    await file.write(bytes(' and more'), 6)
    expect(await slurp(vfs, '/db/f')).toBe('LOSTed and more')
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('synced')
    expect(vfs.readDurable('/db/f')).toEqual(bytes('synced'))
  })

  it('makes each write through a dsync handle durable when it resolves; a sync fault fails the write', async () => {
    const vfs = await machine()
    await put(vfs, '/db/f', '', { sync: true })
    await vfs.syncDir('/db')
    const file = await vfs.open('/db/f', { dsync: true })
    await file.write(bytes('kept'), 0)
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('kept')
    const again = await vfs.open('/db/f', { dsync: true })
    vfs.injectFault({ operation: 'sync', path: /\/db\/f$/, error: 'EIO' })
    await expect(again.write(bytes('gone'), 0)).rejects.toMatchObject({ code: 'IO' })
    vfs.crash()
    // Like a failed fdatasync: the write it did not flush is lost for good, not retried.
    expect(await slurp(vfs, '/db/f')).toBe('kept')
  })

  it('syncs the bytes written, not what the caller’s buffer (a Buffer too) holds by the time of the sync', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', '', { sync: true })
    await vfs.syncDir('/db')
    // Buffer.prototype.slice() is a view, not a copy: a write keeping one would sync the later bytes.
    const written = Buffer.from('abc')
    const gathered = [Buffer.from('de'), bytes('f')]
    await file.write(written, 0)
    await file.writev(gathered, 3)
    written.fill(0)
    for (const buffer of gathered) buffer.fill(0)
    await file.sync()
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('abcdef')
  })

  it('makes the size durable with sync only: an unsynced truncate reverts', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'abcdef', { sync: true })
    await vfs.syncDir('/db')
    await file.truncate(2)
    expect(vfs.fileSize('/db/f')).toBe(2)
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('abcdef')
    const again = await vfs.open('/db/f')
    await again.truncate(8)
    await again.sync()
    vfs.crash()
    expect(vfs.readDurable('/db/f')).toEqual(new Uint8Array([...bytes('abcdef'), 0, 0]))
  })

  it('kills every handle opened before the crash, close included', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/f', 'x', { sync: true })
    await vfs.syncDir('/db')
    vfs.crash()
    for (const action of [
      () => file.readSync(new Uint8Array(1), 0),
      () => file.read(new Uint8Array(1), 0),
      () => file.write(bytes('y'), 0),
      () => file.size(),
      () => file.truncate(0),
      () => file.sync(),
      () => file.close(),
    ]) {
      const error = await caught(action)
      expect(TinyDbError.isInstance(error) && error.code).toBe('IO')
      expect((error as Error).message).toMatch(/stale handle after crash/)
    }
    expect(await slurp(vfs, '/db/f')).toBe('x') // the rebooted machine works
  })

  it('releases every lock on crash, and an old release does not free the new holder', async () => {
    const vfs = await machine()
    const old = await vfs.lock('/db/LOCK')
    vfs.crash()
    const fresh = await vfs.lock('/db/LOCK')
    await old.release()
    const error = await caught(() => vfs.lock('/db/LOCK'))
    expect(TinyDbError.isInstance(error) && error.code).toBe('LOCKED')
    await fresh.release()
  })

  it('resolves operations on a microtask, in call order', async () => {
    const vfs = await machine()
    const file = await vfs.open('/db/f', { create: true })
    const order: string[] = []
    const first = file.write(bytes('a'), 0).then(() => order.push('write a'))
    const second = file.write(bytes('b'), 1).then(() => order.push('write b'))
    order.push('sync code')
    await Promise.all([first, second])
    expect(order).toEqual(['sync code', 'write a', 'write b'])
  })
})

describe('SimVfs: namespace durability', () => {
  it('loses a synced file whose directory was never synced', async () => {
    const vfs = await machine()
    await put(vfs, '/db/f', 'data', { sync: true })
    expect(vfs.listDurable()).toEqual(['/db/'])
    vfs.crash()
    expect(await vfs.exists('/db/f')).toBe(false)
    await put(vfs, '/db/g', 'data', { sync: true })
    await vfs.syncDir('/db')
    vfs.crash()
    expect(await slurp(vfs, '/db/g')).toBe('data')
  })

  it('keeps a created file empty when its directory was synced but the file was not', async () => {
    const vfs = await machine()
    await put(vfs, '/db/f', 'data')
    await vfs.syncDir('/db')
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('')
  })

  it('brings an unlinked file back unless the directory was synced', async () => {
    const vfs = await machine()
    await put(vfs, '/db/f', 'data', { sync: true })
    await vfs.syncDir('/db')
    await vfs.unlink('/db/f')
    vfs.crash()
    expect(await slurp(vfs, '/db/f')).toBe('data')
    await vfs.unlink('/db/f')
    await vfs.syncDir('/db')
    vfs.crash()
    expect(await vfs.exists('/db/f')).toBe(false)
  })

  it('reverts a rename, and the file it replaced, unless the directory was synced', async () => {
    const vfs = await machine()
    await put(vfs, '/db/new', 'new', { sync: true })
    await put(vfs, '/db/current', 'old', { sync: true })
    await vfs.syncDir('/db')
    await vfs.rename('/db/new', '/db/current')
    expect(await vfs.readdir('/db')).toEqual(['current'])
    vfs.crash()
    expect(await vfs.readdir('/db')).toEqual(['current', 'new'])
    expect(await slurp(vfs, '/db/current')).toBe('old')
    await vfs.rename('/db/new', '/db/current')
    await vfs.syncDir('/db')
    vfs.crash()
    expect(await vfs.readdir('/db')).toEqual(['current'])
    expect(await slurp(vfs, '/db/current')).toBe('new')
  })

  it('keeps data synced through a handle under the new name after a reverted rename', async () => {
    const vfs = await machine()
    const file = await put(vfs, '/db/a', 'one', { sync: true })
    await vfs.syncDir('/db')
    await vfs.rename('/db/a', '/db/b')
    await file.write(bytes('two'), 0)
    await file.sync()
    vfs.crash()
    expect(await vfs.readdir('/db')).toEqual(['a'])
    expect(await slurp(vfs, '/db/a')).toBe('two')
  })

  it('loses a directory (and what was synced in it) until its parent is synced', async () => {
    const vfs = new SimVfs()
    await vfs.mkdir('/a/b')
    await put(vfs, '/a/b/f', 'data', { sync: true })
    await vfs.syncDir('/a/b')
    await vfs.syncDir('/a')
    vfs.crash()
    expect(await vfs.exists('/a')).toBe(false)
    expect(vfs.listDurable()).toEqual([])
    await vfs.mkdir('/a/b')
    await put(vfs, '/a/b/f', 'data', { sync: true })
    for (const dir of ['/a/b', '/a', '/']) await vfs.syncDir(dir)
    vfs.crash()
    expect(vfs.listDurable()).toEqual(['/a/', '/a/b/', '/a/b/f'])
  })

  it('normalises paths: relative, doubled and dotted forms name one file', async () => {
    const vfs = await machine()
    await put(vfs, 'db/./f', 'data', { sync: true })
    await vfs.syncDir('/db/')
    expect(await slurp(vfs, '//db//f')).toBe('data')
    expect(vfs.readDurable('/db/sub/../f')).toEqual(bytes('data'))
  })

  it('refuses namespace changes a real file system refuses', async () => {
    const vfs = await machine()
    await vfs.mkdir('/db/dir')
    await put(vfs, '/db/dir/f', 'x')
    await put(vfs, '/db/f', 'x')
    const codes = async (action: () => Promise<unknown>): Promise<unknown> => {
      const error = await caught(action)
      return TinyDbError.isInstance(error) ? [error.code, (error.cause as { code?: string }).code] : error
    }
    expect(await codes(() => vfs.unlink('/db/dir'))).toEqual(['IO', 'EISDIR'])
    expect(await codes(() => vfs.rename('/db/f', '/db/dir'))).toEqual(['IO', 'EISDIR'])
    expect(await codes(() => vfs.rename('/db', '/db/dir/inside'))).toEqual(['IO', 'EINVAL'])
    expect(await codes(() => vfs.mkdir('/db/f'))).toEqual(['IO', 'EEXIST'])
    expect(await codes(() => vfs.mkdir('/db/f/sub'))).toEqual(['IO', 'ENOTDIR'])
    expect(await codes(() => vfs.open('/db/f/sub', { create: true }))).toEqual(['IO', 'ENOTDIR'])
    expect(await codes(() => vfs.readdir('/db/f'))).toEqual(['IO', 'ENOTDIR'])
  })

  it('renames directories with their content', async () => {
    const vfs = await machine()
    await vfs.mkdir('/db/old')
    await put(vfs, '/db/old/f', 'data')
    await vfs.rename('/db/old', '/db/new')
    expect(await slurp(vfs, '/db/new/f')).toBe('data')
    expect(await vfs.exists('/db/old')).toBe(false)
  })
})
