import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

/**
 * Tests run against the sources of sibling packages, not their build output, so a change in
 * `@tinydb/pager` is seen by `@tinydb/kv`'s tests without a rebuild. Published consumers go
 * through each package's `exports` map instead.
 */
export const sharedConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@tinydb\/([a-z]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@tinydb\/([a-z]+)\/([a-z-]+)$/, replacement: `${root}packages/$1/src/$2.ts` },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: more workers only make the crash tests fight over the CPU.
    maxWorkers: 2,
    // The JSON report is summed by scripts/test.mjs into the one closing line CI reads.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
})
