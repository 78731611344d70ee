#!/usr/bin/env node
import { reportFailure } from './failure.js'
import { createProgram } from './program.js'

// `tinydb scan | head`: the reader went away, so stop quietly instead of dying on an unhandled EPIPE.
// Leaving without closing the store is safe: it is what a crash looks like, and scan wrote nothing.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

try {
  await createProgram().parseAsync(process.argv)
} catch (error) {
  process.exitCode = reportFailure(error)
}
