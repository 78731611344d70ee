import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Prng, SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { open, type Db } from '../src/index.js'

/**
 * The bank: money moves between accounts in concurrent read-modify-write transactions, and the
 * total must never change — not for a snapshot reader, not for a scan, not after a crash.
 * A lost update (two transfers reading the same balance) or a torn transaction (half a transfer
 * visible or recovered) changes the total.
 */
const SEED = Number(process.env['TINYDB_BANK_SEED'] ?? 20261126)
const ACCOUNTS = 20
const TOTAL = ACCOUNTS * 100
const decode = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes))
const account = (index: number) => `account/${String(index).padStart(2, '0')}`
const workerScript = fileURLToPath(new URL('./fixtures/bank-worker.mjs', import.meta.url))

async function openBank(dir: string, options: Parameters<typeof open>[1]): Promise<Db> {
  const db = await open(dir, options)
  if (db.getSync('transfers') === undefined) {
    await db.batch([
      ...Array.from({ length: ACCOUNTS }, (_, index) => ({ type: 'put' as const, key: account(index), value: '100' })),
      { type: 'put' as const, key: 'transfers', value: '0' },
    ])
  }
  return db
}

async function totalOf(source: Pick<Db, 'scan'>): Promise<number> {
  let total = 0
  for await (const [, value] of source.scan({ gte: 'account/', lt: 'account0' })) total += Number(decode(value))
  return total
}

describe(`bank transfers (seed ${SEED})`, () => {
  it('concurrent transfer transactions keep the total constant for snapshot readers, scans, checkpoints and reopen', async () => {
    console.log('bank transfers in process: seed', SEED)
    const prng = new Prng(SEED)
    const vfs = new SimVfs({ seed: SEED })
    const options = { vfs, pageSize: 512, checkpointThreshold: 8 * 1024, walSegmentSize: 32 * 1024 }
    const db = await openBank('/bank', options)
    let committed = 0
    let audits = 0
    const teller = async (transfers: number): Promise<void> => {
      for (let i = 0; i < transfers; i++) {
        const from = prng.int(ACCOUNTS)
        const to = (from + 1 + prng.int(ACCOUNTS - 1)) % ACCOUNTS
        const amount = 1 + prng.int(40)
        const pause = prng.int(3) === 0
        const aborts = prng.int(10) === 0
        await db
          .transaction(async (tx) => {
            const fromBalance = Number(decode(await tx.get(account(from))))
            if (pause) await new Promise((resolve) => setImmediate(resolve))
            if (fromBalance < amount) return
            tx.put(account(from), String(fromBalance - amount))
            tx.put(account(to), String(Number(decode(tx.getSync(account(to)))) + amount))
            if (aborts) throw new Error('abort')
            tx.put('transfers', String(Number(decode(tx.getSync('transfers'))) + 1))
            committed++
          })
          .catch((error: unknown) => {
            if (!(error instanceof Error && error.message === 'abort')) throw error
          })
      }
    }
    let stop = false
    const auditor = async (): Promise<void> => {
      while (!stop) {
        const snapshot = db.snapshot()
        const first = await totalOf(snapshot)
        await new Promise((resolve) => setImmediate(resolve))
        // The same snapshot later, after more transfers committed: the same state.
        expect([first, await totalOf(snapshot)]).toEqual([TOTAL, TOTAL])
        snapshot.close()
        expect(await totalOf(db)).toBe(TOTAL)
        audits++
        if (prng.int(8) === 0) await db.checkpoint()
      }
    }
    const auditors = [auditor(), auditor()]
    await Promise.all(Array.from({ length: 6 }, () => teller(60)))
    stop = true
    await Promise.all(auditors)
    expect(committed).toBeGreaterThan(100)
    expect(audits).toBeGreaterThan(5)
    expect(Number(decode(db.getSync('transfers')))).toBe(committed)
    expect(db.stats().snapshots.open).toEqual([])
    expect((await db.check()).ok).toBe(true)
    await db.close()
    const reopened = await open('/bank', options)
    expect([await totalOf(reopened), Number(decode(reopened.getSync('transfers')))]).toEqual([TOTAL, committed])
    await reopened.close()
  })

  it('survives SIGKILL mid-transfer: the total holds and every acknowledged transfer is there', async () => {
    console.log('bank transfers across SIGKILL: seed', SEED)
    const prng = new Prng(SEED)
    const dir = await mkdtemp(join(tmpdir(), 'tinydb-bank-'))
    try {
      const setup = await openBank(dir, {})
      await setup.close()
      let transfersBefore = 0
      for (let round = 0; round < 4; round++) {
        const killAfter = 20 + prng.int(200)
        const { acknowledged, violations } = await runUntilKilled(dir, SEED + round, killAfter)
        expect(violations).toEqual([])
        const db = await open(dir)
        const transfers = Number(decode(db.getSync('transfers')))
        // The acknowledged transfers are durable; at most one more per teller was in flight.
        expect({ round, recovered: transfers - transfersBefore, acknowledged, killAfter }).toEqual({
          round,
          recovered: expect.toSatisfy((n: number) => n >= acknowledged && n <= acknowledged + 4),
          acknowledged,
          killAfter,
        })
        expect(await totalOf(db)).toBe(TOTAL)
        expect((await db.check()).ok).toBe(true)
        transfersBefore = transfers
        await db.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** Runs the bank worker (4 tellers, 2 auditors) and SIGKILLs it after `killAfter` acknowledged transfers. */
function runUntilKilled(dir: string, seed: number, killAfter: number): Promise<{ acknowledged: number; violations: string[] }> {
  const child = spawn(process.execPath, [workerScript, dir, String(seed), '4', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let acknowledged = 0
  let pending = ''
  let stderr = ''
  const violations: string[] = []
  const watchdog = setTimeout(() => {
    violations.push('the worker was not killed within 30 s (hung?)')
    child.kill('SIGKILL')
  }, 30_000)
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      if (line.startsWith('ack ')) {
        acknowledged = Number(line.slice(4))
        if (acknowledged >= killAfter) child.kill('SIGKILL')
      } else if (line.startsWith('violation')) violations.push(line)
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(watchdog)
      if (signal !== 'SIGKILL') reject(new Error(`the bank worker exited by itself (code ${code}): ${stderr.trim()}`))
      else resolve({ acknowledged, violations })
    })
  })
}
