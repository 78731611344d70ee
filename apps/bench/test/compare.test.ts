import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { builtProgram, runProgram, suiteDirectory } from './support/program.ts'

// The harness runs its workers as programs, so this test runs the built dist (turbo builds before
// testing). It proves the plumbing — processes, adapters, JSON, table — never a timing.
const MAIN = builtProgram('compare/main.js')
const TINYDB_ADAPTER = pathToFileURL(builtProgram('compare/stores/tinydb.js')).href
const dirOf = suiteDirectory('tinydb-compare-test-')

function compare(args: readonly string[]): { status: number | null; output: string } {
  return runProgram(MAIN, ['--quick', '--runs', '1', '--dir', dirOf(), ...args], dirOf())
}

describe('compare --quick', () => {
  it('is built', () => {
    expect(existsSync(MAIN), `${MAIN} missing: run pnpm build`).toBe(true)
  })

  it('runs TinyDB, one peer and an --adapter variant in their own processes and reports all of them', async () => {
    // An experimenter's adapter: TinyDB with 8 KiB pages, built from the exported factory.
    const dir = dirOf()
    const variant = join(dir, 'tinydb-8k.mjs')
    await writeFile(variant, `import { tinyDbAdapter } from '${TINYDB_ADAPTER}'\nexport default tinyDbAdapter('tinydb-8k', { pageSize: 8192 })\n`)
    const json = join(dir, 'result.json')
    const { status, output } = compare(['--stores', 'tinydb,sqlite', '--adapter', variant, '--json', json])
    expect(status, output).toBe(0)

    const report = JSON.parse(await readFile(json, 'utf8')) as {
      medians: Record<string, Record<string, number>>
      runs: Record<string, { figures: Record<string, number> }[]>
      table: string[]
    }
    expect(Object.keys(report.medians).sort()).toEqual(['floor', 'sqlite', 'tinydb', 'tinydb-8k'])
    for (const store of ['sqlite', 'tinydb', 'tinydb-8k']) {
      const figures = report.medians[store] as Record<string, number>
      for (const id of ['w1.opsPerSec', 'w1.p50Ms', 'w2.opsPerSec', 'w3.opsPerSec', 'w4.opsPerSec', 'w5.keysPerSec', 'w6.reopenMs', 'w6.totalMs', 'rss.peakMb']) {
        expect(figures[id], `${store} ${id}`).toBeGreaterThan(0)
      }
    }
    expect(report.medians['floor']?.['floor.p50Ms']).toBeGreaterThan(0)
    // Each store ran in a process of its own: their peak RSS figures come from different processes.
    expect(report.runs['tinydb']).toHaveLength(1)
    expect(report.table[0]).toBe('| workload | sqlite | tinydb | tinydb-8k | tinydb ÷ best peer | tinydb-8k ÷ best peer |')
    expect(output).toContain('| W1 awaited puts: ops/s |')
    expect(output).toMatch(/floor \(preallocated append .*\): p50 \d+\.\d+ ms/)
  })

  it('fails loudly when an adapter loses writes, instead of reporting its figures', async () => {
    const dir = dirOf()
    const lossy = join(dir, 'lossy.mjs')
    await writeFile(
      lossy,
      `const data = new Map()
export default {
  name: 'lossy', describe: 'drops every tenth put',
  async open() {
    let puts = 0
    return {
      async put(key, value) { if (++puts % 10 !== 0) data.set(Buffer.from(key).toString('hex'), value) },
      async putMany(entries) { for (const [key, value] of entries) data.set(Buffer.from(key).toString('hex'), value) },
      get(key) { return data.get(Buffer.from(key).toString('hex')) },
      scan() { return [...data.keys()].sort().map((key) => [key, data.get(key)]) },
      async close() {},
    }
  },
}
`,
    )
    const { status, output } = compare(['--stores', '', '--adapter', lossy, '--json', join(dir, 'lossy.json')])
    expect(status).not.toBe(0)
    expect(output).toMatch(/lossy: W4 found \d+ of \d+ keys/)
  })
})
