import { describe, expect, it } from 'vitest'
import { MemoryPageStorage, MemoryPager } from '../src/index.js'
import type { Pager } from '../src/index.js'
import { pagerConformance } from '../src/conformance.js'

const storages = new WeakMap<Pager, MemoryPageStorage>()

pagerConformance(
  { describe, it, expect },
  {
    name: 'MemoryPager',
    async create({ pageSize }) {
      const storage = new MemoryPageStorage(pageSize)
      const pager = new MemoryPager({ storage })
      storages.set(pager, storage)
      return pager
    },
    async reopen(pager) {
      const storage = storages.get(pager)!
      await pager.close()
      const reopened = new MemoryPager({ storage })
      storages.set(reopened, storage)
      return reopened
    },
  },
)

describe('MemoryPager format version', () => {
  it('is the current one by default, the storage keeps the one it was made with, and an unknown one is refused', () => {
    expect(new MemoryPager().formatVersion).toBe(3)
    const storage = new MemoryPageStorage(512, 2)
    expect(new MemoryPager({ storage }).formatVersion).toBe(2)
    expect(new MemoryPager({ storage, formatVersion: 3 }).formatVersion).toBe(2) // like a file: what it holds wins
    expect(new MemoryPager({ pageSize: 512, formatVersion: 1 }).formatVersion).toBe(1)
    expect(() => new MemoryPager({ formatVersion: 4 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'formatVersion must be a data-file format version this build knows (1 to 3), got 4' }),
    )
  })
})
