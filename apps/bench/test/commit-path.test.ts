import { describe, expect, it } from 'vitest'
import { builtProgram, runProgram, suiteDirectory } from './support/program.ts'

// Runs the built program, as `pnpm bench:commit-path` does. It proves the plumbing — which lines
// are printed for which store — never a timing.
const MAIN = builtProgram('commit-path/main.js')
const dirOf = suiteDirectory('tinydb-commit-path-test-')

function commitPath(args: readonly string[]): { status: number | null; output: string } {
  return runProgram(MAIN, ['--puts', '20', '--dir', dirOf(), ...args], dirOf())
}

// name, ops/s, p50, p99, p99.9, then the log write and the rest per commit (µs), or two empty cells.
const row = /^\| (.+?) \| [\d,]+ \| \d+\.\d{3} \| \d+\.\d{3} \| \d+\.\d{3} \|(?: ([\d,]+) \| ([\d,]+) \|| \| \|)$/

function rowNames(output: string): string[] {
  return output.split('\n').flatMap((line) => row.exec(line)?.slice(1, 2) ?? [])
}

/** The rows that split their commits into the log write and the rest. */
function splitRowNames(output: string): string[] {
  return output.split('\n').flatMap((line) => {
    const match = row.exec(line)
    return match?.[2] !== undefined && match[3] !== undefined ? [match[1]!] : []
  })
}

describe('commit-path', () => {
  it('prints the raw write loops, then TinyDB\'s rounds in one process', () => {
    const { status, output } = commitPath(['--rounds', '2'])
    expect(status, output).toBe(0)
    const names = rowNames(output)
    expect(names).toHaveLength(6 + 2)
    expect(names.slice(0, 3)).toEqual(['raw: async write + fdatasync (round 1)', 'raw: one O_DSYNC write (round 1)', 'raw: sync write + fdatasync on the main thread (round 1)'])
    expect(names.slice(6)).toEqual(['tinydb W1, round 1 in one process', 'tinydb W1, round 2 in one process'])
    // TinyDB times its own log writes; the raw loops have nothing to split.
    expect(splitRowNames(output)).toEqual(names.slice(6))
  })

  it('runs a peer of compare instead, and only its rounds with --skip-raw', () => {
    const { status, output } = commitPath(['--store', 'sqlite', '--rounds', '2', '--skip-raw'])
    expect(status, output).toBe(0)
    expect(rowNames(output)).toEqual(['sqlite W1, round 1 in one process', 'sqlite W1, round 2 in one process'])
    expect(splitRowNames(output)).toEqual([])
    expect(output).toContain('sqlite: better-sqlite3')
  })

  it('prints its options with --help', () => {
    const { status, output } = commitPath(['--help'])
    expect(status, output).toBe(0)
    expect(output).toContain('usage: node dist/commit-path/main.js')
    expect(output).toContain('--skip-raw')
  })

  it('refuses an unknown store and a round count that is not a positive integer', () => {
    expect(commitPath(['--store', 'nope']).output).toContain('unknown store nope')
    const zero = commitPath(['--rounds', '0', '--skip-raw'])
    expect(zero.status).not.toBe(0)
    expect(zero.output).toContain('--rounds expects a positive integer, got 0')
  })
})
