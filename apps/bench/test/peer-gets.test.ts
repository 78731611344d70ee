import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Runs the built program with tiny counts: it proves the plumbing — one row for the store asked
// for, its ratio, the store's files removed — never a timing.
const MAIN = fileURLToPath(new URL('../dist/scale/peer-gets.js', import.meta.url))

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tinydb-peer-gets-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function peerGets(args: readonly string[]): { status: number | null; output: string } {
  const child = spawnSync(process.execPath, [MAIN, '--keys', '3000', '--batch', '500', '--gets', '400', '--passes', '2', '--dir', dir, ...args], { encoding: 'utf8', cwd: dir })
  return { status: child.status, output: `${child.stdout}${child.stderr}` }
}

const row = /^\| ([a-z]+) \| [\d,]+ \| [\d,]+ \| [\d,]+ \| (\d+\.\d\d) \| [\d,]+ \|$/m

describe('peer-gets', () => {
  for (const store of ['tinydb', 'sqlite']) {
    it(`loads ${store} through its adapter and prints its gets at both sizes and their ratio`, async () => {
      const { status, output } = peerGets(['--store', store])
      expect(status, output).toBe(0)
      expect(output).toContain('| store | load: puts/s | gets/s at 3,000 | gets/s at 3,000 | ratio | peak RSS: MB |')
      expect(row.exec(output)?.[1]).toBe(store)
      expect(Number(row.exec(output)?.[2])).toBeGreaterThan(0)
      expect(await readdir(dir)).toEqual([])
    })
  }

  it('refuses an unknown store and a key count that is not a positive integer', () => {
    expect(peerGets(['--store', 'nope']).output).toContain('unknown store nope')
    const zero = peerGets(['--store', 'tinydb', '--keys', '0'])
    expect(zero.status).not.toBe(0)
    expect(zero.output).toContain('--keys expects a positive integer, got 0')
  })
})
