import { readdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { builtProgram, runProgram, suiteDirectory } from './support/program.ts'

// It proves the plumbing — one row for the store asked for, its ratio, the store's files removed —
// never a timing.
const MAIN = builtProgram('scale/peer-gets.js')
const dirOf = suiteDirectory('tinydb-peer-gets-test-')

function peerGets(args: readonly string[]): { status: number | null; output: string } {
  return runProgram(MAIN, ['--keys', '3000', '--batch', '500', '--gets', '400', '--passes', '2', '--dir', dirOf(), ...args], dirOf())
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
      expect(await readdir(dirOf())).toEqual([])
    })
  }

  it('refuses an unknown store and a key count that is not a positive integer', () => {
    expect(peerGets(['--store', 'nope']).output).toContain('unknown store nope')
    const zero = peerGets(['--store', 'tinydb', '--keys', '0'])
    expect(zero.status).not.toBe(0)
    expect(zero.output).toContain('--keys expects a positive integer, got 0')
  })
})
