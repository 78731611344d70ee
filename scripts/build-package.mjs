// Builds the library package in the current directory (its `build` script runs this):
//   1. `tsc --emitDeclarationOnly`: type-checks it and writes its .d.ts files, one per module;
//   2. esbuild: one ES module per entry of its `exports` map (`./dist/x.js` from `src/x.ts`),
//      with what entries share in chunks (so state such as a module-level singleton exists once),
//      and every bare import (the other @tinydb packages, @node-rs/crc32, node:*) left external.
//
// Why bundle: Node loads each ES module on its own — resolves it, reads it, compiles it, keeps
// its record — and `@tinydb/engine` was ~120 of them. Imported as one module per package, it
// loads several times faster and holds ~4 MB less (see the changeset and BENCHMARKS.md).
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
const packageDir = process.cwd()
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))

/** `src/x.ts` for every `./dist/x.js` the exports map offers to `import`. */
function entryPoints(exportsMap) {
  return Object.entries(exportsMap).map(([subpath, conditions]) => {
    const target = conditions.import
    const match = /^\.\/dist\/(.+)\.js$/.exec(target ?? '')
    if (match === null) throw new Error(`${manifest.name}: exports["${subpath}"].import must be ./dist/<name>.js, got ${target}`)
    return `src/${match[1]}.ts`
  })
}

// A clean dist: files of an earlier build (the per-module .js of tsc) must not linger beside the bundles.
rmSync(join(packageDir, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], {
  cwd: packageDir,
  stdio: 'inherit',
})
await build({
  absWorkingDir: packageDir,
  entryPoints: entryPoints(manifest.exports),
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
