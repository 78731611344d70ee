import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { TinyDbError, open } from '@tinydb/engine'
import type { Db } from '@tinydb/engine'
import { crashTestEntry } from '../crash-test-data.js'
import { CommandFailure } from '../failure.js'
import { printLine } from '../io.js'
import { decodeText } from '../text.js'

const CRASH_KEYS = 100
const WRITER_TIMEOUT_MS = 60_000
const writerPath = fileURLToPath(new URL('../crash-writer.js', import.meta.url))

class StepFailed extends Error {}

function ensure(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailed(message)
}

/** Starts the writer and resolves once it has printed that all its puts were acknowledged. */
function startWriter(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [writerPath, dir, String(CRASH_KEYS)], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new StepFailed(`the writer did not acknowledge its writes within ${WRITER_TIMEOUT_MS} ms`))
    }, WRITER_TIMEOUT_MS)
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      if (stdout.includes(`acknowledged ${CRASH_KEYS}\n`)) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new StepFailed(`the writer exited (code ${code}, signal ${signal}) before acknowledging: ${stderr.trim()}`))
    })
  })
}

function killWriter(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit')
    child.on('exit', (_code, signal) => resolve(signal))
    child.kill('SIGKILL')
  })
}

async function verifyValues(db: Db): Promise<void> {
  for (let index = 0; index < CRASH_KEYS; index++) {
    const { key, value } = crashTestEntry(index)
    const found = await db.get(key)
    ensure(found !== undefined, `acknowledged key ${key} is missing`)
    ensure(decodeText(found) === value, `key ${key} holds '${decodeText(found)}', expected '${value}'`)
  }
}

/**
 * The original TinyDB self-test, made honest: the crash is a real process killed with SIGKILL after
 * its writes were acknowledged, so nothing is flushed or closed on the way out.
 */
async function runSelfTest(dir: string): Promise<void> {
  const steps: Array<[title: string, run: () => Promise<string>]> = []
  let writer: ChildProcess | undefined
  let db: Db | undefined

  steps.push([`set ${CRASH_KEYS} keys in a writer process, each write awaited`, async () => {
    writer = await startWriter(dir)
    return `pid ${writer.pid} acknowledged ${CRASH_KEYS} writes`
  }])
  steps.push(['simulate a crash: SIGKILL the writer without closing the store', async () => {
    ensure(writer !== undefined, 'no writer to kill')
    const signal = await killWriter(writer)
    ensure(signal === 'SIGKILL', `the writer ended by ${signal ?? 'exiting'}, not by SIGKILL`)
    return 'killed'
  }])
  steps.push(['recover: open the store', async () => {
    db = await open(dir)
    const report = db.recovery
    ensure(!report.created, 'recovery found no store: the writer\'s store was lost')
    ensure(report.recordsReplayed >= 1, 'nothing was replayed from the log: the crash was not observed')
    return `checkpoint lsn ${report.checkpointLsn}, ${report.recordsReplayed} records replayed, ` +
      `${report.bytesDiscarded} bytes discarded, last lsn ${report.lastLsn}`
  }])
  steps.push(['verify the acknowledged values', async () => {
    ensure(db !== undefined, 'the store is not open')
    await verifyValues(db)
    return `${CRASH_KEYS} keys intact`
  }])
  steps.push(['check integrity', async () => {
    ensure(db !== undefined, 'the store is not open')
    const report = await db.check()
    const where = report.problems.map((problem) => `${problem.file} page ${problem.pageId ?? '-'} offset ${problem.offset ?? '-'}: ${problem.what}`)
    ensure(report.ok, `integrity check failed: ${where.join('; ')}`)
    return `${report.pagesChecked} pages, ${report.keys} keys, ${report.walRecordsChecked} log records checked`
  }])
  steps.push(['close cleanly, reopen and verify again', async () => {
    ensure(db !== undefined, 'the store is not open')
    await db.close()
    db = await open(dir)
    ensure(db.recovery.recordsReplayed === 0, `${db.recovery.recordsReplayed} records replayed after a clean close`)
    await verifyValues(db)
    return 'nothing to replay, values intact'
  }])

  try {
    for (const [index, [title, run]] of steps.entries()) {
      printLine(`[${index + 1}/${steps.length}] ${title}`)
      printLine(`      ok: ${await run()}`)
    }
    const last = db
    db = undefined
    await last?.close()
  } finally {
    if (writer !== undefined && writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL')
    await db?.close().catch(() => undefined)
  }
}

export function runTestsCommand(): Command {
  return new Command('run_tests')
    .description('self-test in a fresh temporary store: write, SIGKILL the writer, recover, verify')
    .action(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tinydb-run-tests-'))
      printLine(`store: ${dir}`)
      try {
        await runSelfTest(dir)
      } catch (error) {
        const reason = error instanceof StepFailed
          ? error.message
          : TinyDbError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)
        throw new CommandFailure(`FAILED: ${reason}\nthe store is kept at ${dir} for inspection`)
      }
      await rm(dir, { recursive: true, force: true })
      printLine('All tests passed')
    })
}
