import { MemoryPageStorage, MemoryPager } from '@tinydb/pager'
import { expect, it } from 'vitest'
import { BTree } from '../src/index.js'

it('runs the README example', async () => {
  const text = new TextEncoder()
  const storage = new MemoryPageStorage(4096)
  const pager = new MemoryPager({ storage })
  const tree = new BTree(pager, 0)

  tree.put(text.encode('apple'), text.encode('red'))
  tree.put(text.encode('banana'), text.encode('yellow'))
  tree.put(text.encode('cherry'), text.encode('dark red'))
  expect(new TextDecoder().decode(tree.get(text.encode('banana')))).toBe('yellow')
  expect(tree.del(text.encode('apple'))).toBe(true)

  const seen: string[] = []
  const cursor = tree.cursor({ gte: text.encode('b'), reverse: true })
  for (let entry = cursor.next(); entry !== undefined; entry = cursor.next()) {
    seen.push(new TextDecoder().decode(entry[0]))
  }
  expect(seen).toEqual(['cherry', 'banana'])

  await pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: 1 }).commit()
  const reopenedPager = new MemoryPager({ storage })
  const reopened = new BTree(reopenedPager, reopenedPager.meta.rootPageId)
  expect(reopened.check().problems).toEqual([])
  expect(reopened.has(text.encode('cherry'))).toBe(true)
})
