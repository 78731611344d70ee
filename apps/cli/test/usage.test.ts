import { describe, expect, it } from 'vitest'
import { createProgram } from '../src/program.js'
import { kill, startWriter, tinydb, tinydbIn, withTempDir } from './cli.js'

const COMMANDS = ['set', 'get', 'del', 'scan', 'dump', 'load', 'recovery', 'checkpoint', 'check', 'compact', 'backup', 'stats', 'inspect', 'run_tests', 'bench']

describe('usage', () => {
  it('has --help for the program and for every command', async () => {
    const program = await tinydb(['--help'])
    expect(program.code).toBe(0)
    expect(program.stdout).toContain('Usage: tinydb [options] [command]')
    expect(program.stdout).toContain('--dir <dir>')
    const set = await tinydb(['set', '--help'])
    expect(set).toMatchObject({ code: 0, stderr: '' })
    expect(set.stdout).toContain('Usage: tinydb set [options] <key> <value>')

    // Every other command, without a process each: the same program object the binary runs.
    const commands = createProgram().commands
    expect(commands.map((command) => command.name())).toEqual(COMMANDS)
    for (const command of commands) {
      expect(program.stdout).toContain(command.name())
      expect(command.description(), command.name()).not.toBe('')
      expect(command.helpInformation()).toContain(`Usage: tinydb ${command.name()}`)
    }
    // The inspect subcommands: each described, each read-only one with --json for scripts.
    const inspect = commands.find((command) => command.name() === 'inspect')!
    expect(inspect.commands.map((command) => command.name())).toEqual(['meta', 'wal', 'page', 'tree'])
    for (const command of inspect.commands) {
      expect(command.description(), command.name()).not.toBe('')
      expect(command.helpInformation()).toContain(`Usage: tinydb inspect ${command.name()}`)
      expect(command.options.map((option) => option.long)).toContain('--json')
    }
    const recovery = commands.find((command) => command.name() === 'recovery')!
    expect(recovery.options.map((option) => option.long)).toEqual(['--verbose', '--json'])
  })

  it('exits 2 on usage errors', async () => {
    const none = await tinydb([])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('Usage: tinydb')
    const unknown = await tinydb(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'frobnicate'")
    const missing = await tinydb(['set', 'only-a-key'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("missing required argument 'value'")
  })

  it('prints a store error as error: <code>: <message> with exit code 1', () =>
    withTempDir(async (dir) => {
      const writer = await startWriter(dir, 1)
      try {
        const result = await tinydbIn(dir, 'get', 'k')
        expect(result).toMatchObject({ code: 1, stdout: '' })
        expect(result.stderr).toMatch(/^error: LOCKED: .+ is locked by process \d+\n$/)
      } finally {
        await kill(writer)
      }
    }))
})
