import { createRequire } from 'node:module'

/**
 * `@node-rs/crc32`, loaded with `require`. Imported from ESM, a CommonJS module has its source
 * scanned for export names first (Node's cjs-module-lexer, in JavaScript): this one's 28 KB loader
 * took ~5 ms of scanning on the JavaScript thread, and the scanner grew hot enough to be optimized
 * — ~75 ms of compiling on a background thread in every process, competing (on 2 cores) with the
 * process's first commits.
 */
const native = createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32')

export const { crc32, crc32c } = native
