// Runs the complete abstract-level compliance suite (abstract-level/test, with tape, as memory-level
// and classic-level run it) against the built package. Each database gets a fresh directory that
// does not exist yet (so the createIfMissing / errorIfExists tests see a missing store), under one
// temporary root that is removed at the end. tape prints `# tests`, `# pass` and `# fail` and exits
// with code 1 when any assertion failed (setting process.exitCode here would make it skip the summary).
//
//   node test/compliance.mjs              durability 'sync' (the default)
//   TINYLEVEL_DURABILITY=none node test/compliance.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'tape'
import suite from 'abstract-level/test/index.js'
import { TinyLevel } from '../dist/index.js'

const root = mkdtempSync(join(tmpdir(), 'tinylevel-compliance-'))
const durability = process.env.TINYLEVEL_DURABILITY ?? 'sync'

// Small log segments: the suite creates hundreds of stores and each preallocates its segment.
const engineOptions = { durability, walSegmentSize: 64 * 1024 }

// Many tests of the suite leave their database open (and some reopen it from a 'closed' event
// handler, also on sublevels, so closing all databases after each test or at the end would restart
// those handlers). Instead, when the garbage collector takes a TinyLevel that was left open, its
// engine store is closed here, so no file handle is closed by the collector itself (Node's DEP0137
// warning) and open files do not pile up over the run.
const leftOpen = new FinalizationRegistry((engines) => {
  for (const engine of engines) engine.close().catch(() => undefined)
})
let databases = 0

/** A TinyLevel that hands every engine store it opens to `leftOpen` (closing one twice is a no-op). */
class CollectedTinyLevel extends TinyLevel {
  #engines = []

  constructor(location, options) {
    super(location, options)
    leftOpen.register(this, this.#engines)
  }

  async _open(options) {
    await super._open(options)
    this.#engines.push(this.engine)
  }
}

suite({
  test,
  factory(options) {
    return new CollectedTinyLevel(join(root, `db-${++databases}`), { ...engineOptions, ...options })
  },
})

test.onFinish(() => {
  rmSync(root, { recursive: true, force: true })
  // The repository's test summary (scripts/test.mjs) adds these assertion counts to its closing line.
  const results = test.getHarness()._results
  writeFileSync(
    new URL('../.tape-results.json', import.meta.url),
    JSON.stringify({ numPassedTests: results.pass, numFailedTests: results.fail }),
  )
  console.log(`# TinyLevel compliance: ${databases} databases, durability '${durability}'`)
})
