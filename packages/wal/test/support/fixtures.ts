import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

const made: string[] = []

/** A fresh temporary directory, removed after the test; the log goes in its `wal` subdirectory. */
export function tempWalDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'tinydb-wal-'))
  made.push(root)
  return join(root, 'wal')
}

afterEach(() => {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true })
})

/** Paths of the segment files in `dir`, in log order. */
export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.wal'))
    .sort()
    .map((name) => join(dir, name))
}

/** A small seeded generator (mulberry32) for payload sizes and bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** A payload that encodes its own LSN, so a test can tell which record it is looking at. */
export function payloadFor(lsn: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (lsn * 31 + i * 7) & 0xff
  if (size >= 4) new DataView(bytes.buffer).setUint32(0, lsn, true)
  return bytes
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** Byte equality without vitest's element-by-element deep equality, which is slow on many payloads. */
export function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)
}
