// The crash-test loop of README.md, kept runnable so the README cannot rot.
import { expect, it } from 'vitest'
import { SimVfs, type Vfs } from '../src/index.js'

/** Replaces /db/current atomically: write a temporary file, fsync it, rename it over, fsync the directory. */
async function save(vfs: Vfs, value: string): Promise<void> {
  const tmp = await vfs.open('/db/current.tmp', { create: true })
  await tmp.truncate(0)
  await tmp.write(new TextEncoder().encode(value), 0)
  await tmp.sync()
  await tmp.close()
  await vfs.rename('/db/current.tmp', '/db/current')
  await vfs.syncDir('/db')
}

async function load(vfs: Vfs): Promise<string> {
  const file = await vfs.open('/db/current')
  const buffer = new Uint8Array(await file.size())
  file.readSync(buffer, 0)
  await file.close()
  return new TextDecoder().decode(buffer)
}

async function machineWithV1(seed: number): Promise<SimVfs> {
  const vfs = new SimVfs({ seed })
  await vfs.mkdir('/db')
  await vfs.syncDir('/') // without this, a crash loses /db itself
  await save(vfs, 'v1')
  return vfs
}

it('README: crashing at every I/O point of save() leaves v1 or v2, never anything else', async () => {
  const seed = 2024
  console.log('seed', seed)
  const probe = await machineWithV1(seed)
  const before = probe.operationCount
  await save(probe, 'v2')
  const points = probe.operationCount - before

  const outcomes = new Set<string>()
  for (let n = 1; n <= points; n++) {
    for (const mode of ['drop', 'tear', 'reorder'] as const) {
      const vfs = await machineWithV1(seed + n)
      vfs.crashAtOperation(n)
      await save(vfs, 'v2').catch((error: unknown) => {
        if (!vfs.halted) throw error // a real failure, not the simulated crash
      })
      vfs.crash({ mode })
      const value = await load(vfs)
      expect(['v1', 'v2']).toContain(value)
      outcomes.add(value)
    }
  }
  expect([...outcomes].sort()).toEqual(['v1', 'v2'])
})
