import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAIN, withTempDir } from './cli.js'
import { onTerminal } from './terminal.js'

/** The bar itself, on a real terminal. (The decision alone is tested in progress.test.ts.) */

const CYAN = '\u001b[36m'
const ENTRIES = Array.from({ length: 50 }, (_, i) => JSON.stringify({ key: `k${i}`, value: 'v' })).join('\n')

describe('progress on a terminal', () => {
  it('load draws a coloured bar; NO_COLOR keeps the bar without colour; CI removes it', async () => {
    await withTempDir(async (root) => {
      const file = join(root, 'in.jsonl')
      await writeFile(file, ENTRIES)
      const load = (store: string) => `node ${MAIN} --dir ${join(root, store)} load ${file}`
      const plain = await onTerminal(load('a'), {})
      expect(plain).toContain(`load ${CYAN}`)
      expect(plain).toContain('100% | 50 entries')
      expect(plain).toContain('loaded 50 entries')
      const noColor = await onTerminal(load('b'), { NO_COLOR: '1' })
      expect(noColor).toContain('100% | 50 entries')
      expect(noColor).not.toContain('\u001b[36m')
      const ci = await onTerminal(load('c'), { CI: 'true' })
      expect(ci.replace(/\r/g, '')).toBe('loaded 50 entries\n')
    })
  })

  it('dump counts on stderr only when its output goes elsewhere than the terminal', async () => {
    await withTempDir(async (root) => {
      const file = join(root, 'in.jsonl')
      await writeFile(file, ENTRIES)
      const store = join(root, 's')
      await onTerminal(`node ${MAIN} --dir ${store} load ${file}`, { CI: 'true' })
      const redirected = await onTerminal(`node ${MAIN} --dir ${store} dump > ${join(root, 'out.jsonl')}`, {})
      expect(redirected).toContain(`dump ${CYAN}50${'\u001b[0m'} entries`)
      const toTerminal = await onTerminal(`node ${MAIN} --dir ${store} dump`, {})
      expect(toTerminal).not.toContain('entries')
      expect(toTerminal).toContain('{"key":"k0","value":"v"}')
    })
  })
})
