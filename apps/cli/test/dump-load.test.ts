import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { open } from '@tinydb/engine'
import { Prng } from '@tinydb/vfs'
import { MAIN, lines, tinydb, tinydbIn, tinydbWithInput, withTempDir } from './cli.js'

const SEED = Number(process.env['TINYDB_TEST_SEED'] ?? 0x5eed_d0)

/** Keys and values of every kind: UTF-8 text (with a BOM, an astral char, quotes, newlines), invalid UTF-8, empty. */
async function seedMixed(dir: string): Promise<number> {
  console.log(`dump-load seed: ${SEED} (set TINYDB_TEST_SEED to replay)`)
  const prng = new Prng(SEED)
  const db = await open(dir)
  let count = 0
  try {
    const fixed: [Uint8Array | string, Uint8Array | string][] = [
      ['plain', 'value'],
      ['\uFEFFbom', 'tab\there "quoted" \\ newline\n end'],
      ['emoji 🦀', 'ünïcödé'],
      [new Uint8Array([0xff, 0x00, 0x80]), 'binary key'],
      ['binary value', new Uint8Array([0xc3, 0x28, 0x00, 0xfe])],
      ['empty value', ''],
    ]
    for (const [key, value] of fixed) await db.put(key, value)
    count += fixed.length
    const batch = []
    for (let index = 0; index < 300; index++) {
      const key = prng.bool() ? prng.bytes(1 + prng.int(24)) : `k${index}-${prng.uint32().toString(36)}`
      batch.push({ type: 'put' as const, key, value: prng.bytes(prng.int(200)) })
    }
    await db.batch(batch)
    const keys = new Set<string>()
    for await (const [key] of db.scan()) keys.add(Buffer.from(key).toString('hex'))
    count = keys.size
  } finally {
    await db.close()
  }
  return count
}

describe('dump', () => {
  it('prints one JSON object per entry: strings for UTF-8, {"base64"} for other bytes', async () => {
    await withTempDir(async (dir) => {
      const db = await open(dir)
      await db.put('a', 'x')
      await db.put(new Uint8Array([0xff]), new Uint8Array([0xc3, 0x28]))
      await db.put('b\uFEFF', '"q"\n')
      await db.close()
      const result = await tinydbIn(dir, 'dump')
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(lines(result.stdout)).toEqual([
        '{"key":"a","value":"x"}',
        '{"key":"b\uFEFF","value":"\\"q\\"\\n"}',
        '{"key":{"base64":"/w=="},"value":{"base64":"wyg="}}',
      ])
    })
  })

  it('takes the --prefix, --gte and --lt of scan', async () => {
    await withTempDir(async (dir) => {
      const db = await open(dir)
      for (const key of ['a1', 'b1', 'b2', 'b3', 'c1']) await db.put(key, key)
      await db.close()
      const keys = async (...flags: string[]) =>
        lines((await tinydbIn(dir, 'dump', ...flags)).stdout).map((line) => (JSON.parse(line) as { key: string }).key)
      expect(await keys('--prefix', 'b')).toEqual(['b1', 'b2', 'b3'])
      expect(await keys('--gte', 'b2', '--lt', 'c1')).toEqual(['b2', 'b3'])
      expect(await keys('--prefix', 'b', '--gte', 'b2')).toEqual(['b2', 'b3'])
    })
  })

  it('stops quietly (exit 0, no error) when the reader goes away', async () => {
    await withTempDir(async (dir) => {
      const db = await open(dir)
      const value = 'v'.repeat(500)
      for (let start = 0; start < 20_000; start += 1000) {
        await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: `key${start + i}`, value })))
      }
      await db.close()
      const child = spawn(process.execPath, [MAIN, '--dir', dir, 'dump'], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
      child.stdout.once('data', () => child.stdout.destroy())
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      expect(stderr).toBe('')
      expect(code).toBe(0)
    })
  })
})

describe('load', () => {
  it('round-trips: dump, load into a fresh store, dump again is byte-identical (binary keys and values too)', async () => {
    await withTempDir(async (root) => {
      const source = join(root, 'source')
      const copy = join(root, 'copy')
      const count = await seedMixed(source)
      const first = await tinydbIn(source, 'dump')
      expect(first.code).toBe(0)
      expect(lines(first.stdout)).toHaveLength(count)
      expect(first.stdout).toContain('"base64"')
      const loaded = await tinydbWithInput(copy, ['load'], first.stdout)
      expect(loaded.stderr).toBe(`loaded ${count} entries\n`)
      expect(loaded.code).toBe(0)
      const second = await tinydbIn(copy, 'dump')
      expect(Buffer.from(second.stdout)).toEqual(Buffer.from(first.stdout))
    })
  })

  it('reads a FILE argument, and "-" as stdin', async () => {
    await withTempDir(async (root) => {
      const file = join(root, 'in.jsonl')
      await writeFile(file, '{"key":"a","value":"1"}\r\n\n{"key":{"base64":"//4="},"value":"2"}\n')
      const fromFile = await tinydbWithInput(join(root, 's1'), ['load', file], '')
      expect(fromFile.stderr).toBe('loaded 2 entries\n')
      expect(fromFile.code).toBe(0)
      const fromStdin = await tinydbWithInput(join(root, 's2'), ['load', '-'], '{"key":"b","value":"3"}')
      expect(fromStdin.stderr).toBe('loaded 1 entries\n')
      const dump = await tinydbIn(join(root, 's1'), 'dump')
      expect(lines(dump.stdout)).toEqual(['{"key":"a","value":"1"}', '{"key":{"base64":"//4="},"value":"2"}'])
    })
  })

  it('fails cleanly on a missing file, without creating the store', async () => {
    await withTempDir(async (root) => {
      const result = await tinydbWithInput(join(root, 'store'), ['load', join(root, 'nope.jsonl')], '')
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^error: cannot read .*nope\.jsonl: ENOENT/)
    })
  })

  it('stops at a malformed line with its number; the batches completed before it stay', async () => {
    await withTempDir(async (dir) => {
      const good = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ key: `k${String(i).padStart(5, '0')}`, value: 'v' }))
      const input = `${good.join('\n')}\n{"key":"broken",\n${good[0]}\n`
      const result = await tinydbWithInput(dir, ['load'], input)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('error: line 2501: not valid JSON')
      expect(result.stderr).toContain('2000 entries were loaded')
      const dump = await tinydbIn(dir, 'dump')
      expect(lines(dump.stdout)).toEqual(good.slice(0, 2000))
    })
  })

  it.each([
    ['[1,2]', 'line 1: expected an object'],
    ['{"key":"a"}', 'line 1: missing "value"'],
    ['{"key":"a","value":"b","extra":1}', 'line 1: unexpected field "extra"'],
    ['{"key":3,"value":"b"}', 'line 1: "key" must be a string (UTF-8) or {"base64": "…"} (bytes)'],
    ['{"key":{"base64":"not base64!"},"value":"b"}', 'line 1: "key".base64 is not standard padded base64'],
    ['{"key":"\\ud800","value":"b"}', 'line 1: "key" holds a lone surrogate'],
  ])('rejects %s', async (line, message) => {
    await withTempDir(async (dir) => {
      const result = await tinydbWithInput(dir, ['load'], `${line}\n`)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`error: ${message}`)
    })
  })

  it('names the lines of a batch the store refused (a key over the size limit)', async () => {
    await withTempDir(async (dir) => {
      const input = `{"key":"ok","value":"1"}\n\n{"key":"${'k'.repeat(70_000)}","value":"2"}\n`
      const result = await tinydbWithInput(dir, ['load'], input)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^error: TOO_LARGE: key of 70000 bytes .*\(in the batch of lines 1\.\.3, which was not written; 0 entries were loaded\)/)
    })
  })

  it('shows no progress bar when stderr is not a terminal', async () => {
    await withTempDir(async (dir) => {
      const result = await tinydbWithInput(dir, ['load'], '{"key":"a","value":"1"}\n', { CI: '' })
      expect(result.stderr).toBe('loaded 1 entries\n')
    })
  })
})

describe('dump and load --help', () => {
  it('documents the format, the batches and what a malformed line leaves behind', async () => {
    const dump = await tinydb(['dump', '--help'])
    expect(dump.code).toBe(0)
    expect(dump.stdout).toContain('Usage: tinydb dump [options]')
    expect(dump.stdout).toContain('{"base64": "…"}')
    const load = await tinydb(['load', '--help'])
    expect(load.code).toBe(0)
    expect(load.stdout).toContain('Usage: tinydb load [options] [file]')
    expect(load.stdout).toContain('the batches\ncompleted before it stay written')
  })
})
