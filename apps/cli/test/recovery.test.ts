import { describe, expect, it } from 'vitest'
import { kill, lines, seed, startWriter, tinydbIn, withTempDir } from './cli.js'

const REPORT = [
  'Recovery complete',
  /^checkpoint lsn: \d+$/,
  /^records replayed: \d+$/,
  /^bytes discarded: \d+$/,
  /^last lsn: \d+$/,
  /^duration \(ms\): \d+\.\d{3}$/,
]

function expectReport(stdout: string): Map<string, string> {
  const printed = lines(stdout)
  expect(printed).toHaveLength(REPORT.length)
  REPORT.forEach((pattern, index) => expect(printed[index]).toMatch(pattern))
  return new Map(printed.slice(1).map((line) => line.split(': ') as [string, string]))
}

describe('recovery', () => {
  it('prints Recovery complete and the report; nothing to replay after a clean close', () =>
    withTempDir(async (dir) => {
      await seed(dir, [['k', 'v']])
      const result = await tinydbIn(dir, 'recovery')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const report = expectReport(result.stdout)
      expect(report.get('records replayed')).toBe('0')
      expect(report.get('bytes discarded')).toBe('0')
    }))

  it('replays the acknowledged writes of a process killed with SIGKILL', () =>
    withTempDir(async (dir) => {
      await kill(await startWriter(dir, 10))
      const result = await tinydbIn(dir, 'recovery')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const report = expectReport(result.stdout)
      expect(report.get('records replayed')).toBe('10')
      expect(Number(report.get('last lsn')) - Number(report.get('checkpoint lsn'))).toBe(10)
    }))
})
