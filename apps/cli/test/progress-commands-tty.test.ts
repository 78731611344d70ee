import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAIN, seed, withTempDir } from './cli.js'
import { onTerminal } from './terminal.js'

/**
 * The bars of compact, backup, check and bench on a real terminal, and none under CI. Piped runs
 * stay quiet: compact-backup.test.ts and the other command tests require an empty stderr.
 */

const CYAN = '\u001b[36m'
const ENTRIES = Array.from({ length: 1500 }, (_, i) => [`k${String(i).padStart(4, '0')}`, 'v'.repeat(50)] as const)

describe('progress of long commands on a terminal', () => {
  it('compact and backup draw their progress; CI removes it', async () => {
    await withTempDir(async (root) => {
      const dir = join(root, 'db')
      await seed(dir, ENTRIES)
      const compacted = await onTerminal(`node ${MAIN} --dir ${dir} compact`, {})
      expect(compacted).toContain(`compact ${CYAN}`)
      expect(compacted).toContain('100% | 1500 entries')
      expect(compacted).toContain('entries: 1500')
      const quiet = await onTerminal(`node ${MAIN} --dir ${dir} compact`, { CI: '1' })
      expect(quiet).not.toContain('compact ')
      expect(quiet).not.toContain('% |')

      const backedUp = await onTerminal(`node ${MAIN} --dir ${dir} backup ${join(root, 'b1')}`, { NO_COLOR: '1' })
      expect(backedUp).toContain('backup 1500 entries')
      expect(backedUp).not.toContain(CYAN)
      const backupQuiet = await onTerminal(`node ${MAIN} --dir ${dir} backup ${join(root, 'b2')}`, { CI: 'true' })
      expect(backupQuiet).not.toContain('backup 1')
    })
  })

  it('check shows pages then log records, bench shows puts and fdatasyncs', async () => {
    await withTempDir(async (root) => {
      const dir = join(root, 'db')
      await seed(dir, ENTRIES)
      const checked = await onTerminal(`node ${MAIN} --dir ${dir} check`, {})
      expect(checked).toMatch(/check \u001b\[36m.*\u001b\[0m 100% \| (\d+)\/\1 pages/)
      expect(checked).toMatch(/check \u001b\[36m\d+\u001b\[0m log records/)
      expect(checked).toContain('OK')
      const bench = await onTerminal(`node ${MAIN} --dir ${dir} bench 200 bk 16`, {})
      expect(bench).toContain('100% | 200 puts')
      expect(bench).toMatch(/floor .*100% \| 200 syncs/)
      expect(bench).toContain('bench done')
      const benchQuiet = await onTerminal(`node ${MAIN} --dir ${dir} bench 20 bk 16`, { CI: '1' })
      expect(benchQuiet).not.toContain('puts')
    })
  })
})
