import * as fsp from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'

/**
 * The package's sources transpiled to plain ESM in a temporary directory, for a child process
 * (another lock holder, a process that must exit by itself). Transpiled from src each time, so a
 * child never runs a stale dist. `remove` deletes the directory.
 */
export async function compileSources(): Promise<{ indexUrl: string; remove(): Promise<void> }> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'tinydb-vfs-compiled-'))
  const src = fileURLToPath(new URL('../src/', import.meta.url))
  for (const name of await fsp.readdir(src)) {
    if (!name.endsWith('.ts')) continue
    const source = await fsp.readFile(join(src, name), 'utf8')
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    })
    await fsp.writeFile(join(dir, name.replace(/\.ts$/, '.js')), output.outputText)
  }
  await fsp.writeFile(join(dir, 'package.json'), '{"type":"module"}')
  return { indexUrl: pathToFileURL(join(dir, 'index.js')).href, remove: () => fsp.rm(dir, { recursive: true, force: true }) }
}
