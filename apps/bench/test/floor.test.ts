import { describe, expect, it } from 'vitest'
import { SimVfs } from '@tinydb/vfs'
import { FloorFile } from '../src/floor.js'

describe('FloorFile', () => {
  it('preallocates the whole file with synced zeros', async () => {
    const vfs = new SimVfs({ seed: 1 })
    await vfs.mkdir('/bench')
    await vfs.syncDir('/')
    const floor = await FloorFile.open(vfs, '/bench/floor', 3000)
    await vfs.syncDir('/bench') // the fixture does not make its file's name durable; not needed to time it
    expect(vfs.readDurable('/bench/floor')).toEqual(new Uint8Array(3000))
    await floor.close()
  })

  it('makes every append durable and wraps around at the end', async () => {
    const vfs = new SimVfs({ seed: 2 })
    await vfs.mkdir('/bench')
    await vfs.syncDir('/')
    const floor = await FloorFile.open(vfs, '/bench/floor', 1000)
    await vfs.syncDir('/bench')
    const record = (byte: number) => new Uint8Array(400).fill(byte)
    await floor.append(record(1))
    await floor.append(record(2))
    expect(vfs.readDurable('/bench/floor').subarray(0, 800)).toEqual(Uint8Array.from([...record(1), ...record(2)]))
    await floor.append(record(3)) // 800 + 400 > 1000: goes back to offset 0
    const durable = vfs.readDurable('/bench/floor')
    expect(durable.length).toBe(1000)
    expect(durable.subarray(0, 400)).toEqual(record(3))
    expect(durable.subarray(400, 800)).toEqual(record(2))
    await floor.close()
  })
})
