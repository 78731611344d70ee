import { CommanderError } from 'commander'
import { TinyDbError } from '@tinydb/engine'
import { printErrorLine } from './io.js'

/** Exit codes: 1 for a failed command (missing key, failed check, store error), 2 for bad usage. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** A command that ran correctly but whose answer is "no" (missing key, integrity problems). */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message)
    this.name = 'CommandFailure'
  }
}

/**
 * Prints what went wrong and returns the exit code. Commander has already printed its own usage
 * errors; it reports them with code 1, which we change to 2 so scripts can tell "bad command line"
 * from "the store said no".
 */
export function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE
  if (error instanceof CommandFailure) {
    printErrorLine(error.message)
    return error.exitCode
  }
  if (TinyDbError.isInstance(error)) {
    printErrorLine(`error: ${error.code}: ${error.message}`)
    return EXIT_FAILURE
  }
  printErrorLine(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  return EXIT_FAILURE
}
