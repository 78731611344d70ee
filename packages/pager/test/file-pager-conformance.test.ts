import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { NodeVfs, SimVfs } from '@tinydb/vfs'
import type { Vfs } from '@tinydb/vfs'
import { FilePager } from '../src/index.js'
import type { Pager } from '../src/index.js'
import { pagerConformance } from '../src/conformance.js'

/** A cache of 32 pages of 512 bytes: the "many pages" test runs mostly on misses and evictions. */
const CACHE_SIZE = 32 * 512

function fileFactory(name: string, vfs: Vfs, directory: string) {
  const paths = new WeakMap<Pager, string>()
  let files = 0
  return {
    name,
    async create({ pageSize }: { pageSize: number }): Promise<Pager> {
      const path = join(directory, `pager-${++files}.tdb`)
      const pager = await FilePager.open(vfs, path, { pageSize, cacheSize: CACHE_SIZE, verify: true })
      paths.set(pager, path)
      return pager
    },
    async reopen(pager: Pager): Promise<Pager> {
      const path = paths.get(pager)!
      await pager.close()
      const reopened = await FilePager.open(vfs, path, { cacheSize: CACHE_SIZE, verify: true })
      paths.set(reopened, path)
      return reopened
    },
  }
}

const directory = mkdtempSync(join(tmpdir(), 'tinydb-pager-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

pagerConformance({ describe, it, expect }, fileFactory('FilePager on NodeVfs', new NodeVfs(), directory))

const sim = new SimVfs({ seed: 7 })
await sim.mkdir('/db')
pagerConformance({ describe, it, expect }, fileFactory('FilePager on SimVfs', sim, '/db'))
