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
