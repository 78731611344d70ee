import { open as openFile } from 'node:fs/promises'
import { join } from 'node:path'
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

describe('recovery --verbose', () => {
  const STEP = /^\[ *\d+\.\d{3} ms\] /

  it('prints each step as it happens, before the report', () =>
    withTempDir(async (dir) => {
      await kill(await startWriter(dir, 10))
      const result = await tinydbIn(dir, 'recovery', '--verbose')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const printed = lines(result.stdout)
      const steps = printed.slice(0, printed.indexOf('Recovery complete'))
      for (const step of steps) expect(step).toMatch(STEP)
      expect(steps.map((step) => step.replace(STEP, '').replaceAll(dir, 'DIR'))).toEqual([
        'took the directory lock DIR/LOCK',
        'opened the page file DIR/data.tdb: page size 4096, live meta: checkpoint 0, 2 pages',
        'opened the log DIR/wal: 1 segments, records 1..10',
        'checkpoint 0: root page 0, covers the log up to lsn 0',
        'replayed 10 log records, lsn 1..10',
      ])
      const times = steps.map((step) => Number(/[\d.]+/.exec(step)![0]))
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expectReport(printed.slice(steps.length).join('\n'))
    }))

  it('tells a torn log tail apart, and --json carries report and steps', () =>
    withTempDir(async (dir) => {
      await kill(await startWriter(dir, 3))
      // Tear the last record (lsn 3): damage a payload byte of its frame, the last in the log.
      const wal = JSON.parse((await tinydbIn(dir, 'inspect', 'wal', '--json')).stdout) as { records: Array<{ segment: string; offset: number }> }
      const last = wal.records.at(-1)!
      const file = await openFile(join(dir, 'wal', last.segment), 'r+')
      await file.write(Buffer.from('!'), 0, 1, last.offset + 24)
      await file.close()
      const result = await tinydbIn(dir, 'recovery', '--verbose', '--json')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      const { report, steps } = JSON.parse(result.stdout) as { report: { recordsReplayed: number; bytesDiscarded: number }; steps: Array<{ step: string }> }
      expect(report.recordsReplayed).toBe(2)
      expect(report.bytesDiscarded).toBeGreaterThan(0)
      expect(steps.map((entry) => entry.step)).toContain(
        `discarded a torn log tail of ${report.bytesDiscarded} bytes (a commit group that was never acknowledged)`,
      )
    }))
})
