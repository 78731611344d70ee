import { describe, expect, it } from 'vitest'
import { ObservedVfs, SimVfs, type VfsEvent } from '../src/index.js'

describe('ObservedVfs', () => {
  it('reports every call that writes or makes durable, before forwarding it; reads pass silently', async () => {
    const inner = new SimVfs({ seed: 1 })
    const events: VfsEvent[] = []
    const vfs = new ObservedVfs(inner, (event) => events.push(event))
    await vfs.mkdir('/d')
    const file = await vfs.open('/d/f', { create: true })
    await file.write(new Uint8Array([1, 2, 3]), 4)
    await file.truncate(5)
    await file.sync()
    expect(file.readSync(new Uint8Array(5), 0)).toBe(5)
    await file.close()
    const durable = await vfs.open('/d/f', { dsync: true })
    await durable.write(new Uint8Array([9]), 0)
    durable.writeSync(new Uint8Array([8]), 1)
    await durable.close()
    await vfs.rename('/d/f', '/d/g')
    await vfs.syncDir('/d')
    await vfs.unlink('/d/g')
    expect(events).toEqual([
      { op: 'open', path: '/d/f', create: true, dsync: false },
      { op: 'write', path: '/d/f', position: 4, length: 3, dsync: false, blocking: false },
      { op: 'truncate', path: '/d/f', size: 5 },
      { op: 'sync', path: '/d/f' },
      { op: 'open', path: '/d/f', create: false, dsync: true },
      { op: 'write', path: '/d/f', position: 0, length: 1, dsync: true, blocking: false },
      { op: 'write', path: '/d/f', position: 1, length: 1, dsync: true, blocking: true },
      { op: 'rename', path: '/d/f', to: '/d/g' },
      { op: 'syncDir', path: '/d' },
      { op: 'unlink', path: '/d/g' },
    ])
    // What was forwarded happened: the dsync write is durable without a sync.
    expect(await inner.exists('/d/g')).toBe(false)
  })

  it('reports a writev as one write of the total length, then forwards it', async () => {
    const inner = new SimVfs({ seed: 1 })
    const events: VfsEvent[] = []
    const vfs = new ObservedVfs(inner, (event) => events.push(event))
    await vfs.mkdir('/d')
    const file = await vfs.open('/d/f', { create: true, dsync: true })
    await file.writev([new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])], 2)
    await file.writev([], 0)
    expect(events.slice(1)).toEqual([
      { op: 'write', path: '/d/f', position: 2, length: 3, dsync: true, blocking: false },
      { op: 'write', path: '/d/f', position: 0, length: 0, dsync: true, blocking: false },
    ])
    const read = new Uint8Array(5)
    expect(file.readSync(read, 0)).toBe(5)
    expect([...read]).toEqual([0, 0, 1, 2, 3])
  })
})
