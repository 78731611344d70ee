import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtProgram, runProgram, suiteDirectory } from './support/program.ts'

// Runs the built `scale` command with tiny counts: it proves the plumbing (load, gets, latency
// variants, JSON, tables), never a timing.
const MAIN = builtProgram('scale/main.js')
const dirOf = suiteDirectory('tinydb-scale-test-')

describe('scale', () => {
  it('is built', () => {
    expect(existsSync(MAIN), `${MAIN} missing: run pnpm build`).toBe(true)
  })

  it('loads, reads at both sizes, measures latency with and without checkpoints, and reports it all', async () => {
    const dir = dirOf()
    const json = join(dir, 'scale.json')
    const args = ['--keys', '3000', '--batch', '500', '--gets', '500', '--latency-runs', '1', '--latency-keys', '2000', '--latency-puts', '640']
    const { status, output } = runProgram(MAIN, [...args, '--dir', dir, '--json', json], dir)
    expect(status, output).toBe(0)
    const report = JSON.parse(await readFile(json, 'utf8')) as {
      scale: { loadAll: { opsPerSec: number }; getsSmall: { keys: number; opsPerSec: number }; getsAll: { keys: number; opsPerSec: number }; maxRssMb: number; dataFileMb: number }
      latency: Record<string, { p99Ms: number; checkpoints: number }[]>
    }
    expect([report.scale.getsSmall.keys, report.scale.getsAll.keys]).toEqual([3000, 3000])
    for (const figure of [report.scale.loadAll.opsPerSec, report.scale.getsAll.opsPerSec, report.scale.maxRssMb, report.scale.dataFileMb]) expect(figure).toBeGreaterThan(0)
    expect(report.latency['no checkpoints']?.[0]?.checkpoints).toBe(0)
    expect(report.latency['checkpoints']?.[0]?.p99Ms).toBeGreaterThan(0)
    expect(output).toContain('| gets at 3,000 ÷ gets at 3,000 |')
    expect(output).toMatch(/p99 with checkpoints ÷ p99 without: \d+\.\d+×/)
    // The store directories are gone: the command cleans up after itself.
    expect((await import('node:fs')).readdirSync(dir).filter((name) => name.startsWith('tinydb-scale-'))).toEqual([])
  })

  it('runs with the cacheSize it is given, and bounds RSS by that', async () => {
    const dir = dirOf()
    const json = join(dir, 'scale-cache.json')
    const args = ['--keys', '2000', '--batch', '500', '--gets', '200', '--latency-runs', '0', '--cache-size', '1']
    const { status, output } = runProgram(MAIN, [...args, '--dir', dir, '--json', json], dir)
    expect(status, output).toBe(0)
    const report = JSON.parse(await readFile(json, 'utf8')) as { options: { cacheSize: number; cacheSizeDefault: boolean } }
    expect(report.options).toMatchObject({ cacheSize: 2 ** 20, cacheSizeDefault: false })
    expect(output).toContain('| 2,000 keys, batches of 500, cacheSize 1 MiB | figure | goal |')
    expect(output).toMatch(/\| peak RSS: MB \(process maxRSS\) \| [\d,]+ \| ≤ 65 [✓✗] \|/)
    // What a store holds before its data is measured in a child of its own, and is more than an idle node.
    const storeAtRest = (JSON.parse(await readFile(json, 'utf8')) as { scale: { storeAtRestRssMb: number; idleNodeRssMb: number } }).scale
    expect(storeAtRest.storeAtRestRssMb).toBeGreaterThan(storeAtRest.idleNodeRssMb)
    expect(output).toMatch(/\| – of it: an idle `node`; TinyDB loaded, a store open and its checkpoint worker; .* \| [\d,]+; [\d,]+; [\d,]+; -?[\d,]+ \| the rest ≤ -?[\d,]+/)
    const refused = runProgram(MAIN, ['--cache-size', '0', '--dir', dir], dir)
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain('--cache-size expects a positive integer, got 0')
  })
})
