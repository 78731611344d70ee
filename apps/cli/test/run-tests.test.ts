import { describe, expect, it } from 'vitest'
import { lines, tinydb } from './cli.js'

describe('run_tests', () => {
  it('writes, kills the writer, recovers, verifies, and passes', async () => {
    const result = await tinydb(['run_tests'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const printed = lines(result.stdout)
    expect(printed[0]).toMatch(/^store: /)
    expect(printed.filter((line) => /^\[\d\/6\] /.test(line))).toHaveLength(6)
    expect(printed.filter((line) => line.trim().startsWith('ok: '))).toHaveLength(6)
    expect(printed.at(-1)).toBe('All tests passed')
  })
})
