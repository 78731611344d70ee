/**
 * The only places the commands print. Writes to a pipe or a file are synchronous on Linux, so lines
 * keep their order and are not lost when the process exits right after.
 */
export function printLine(line: string): void {
  process.stdout.write(`${line}\n`)
}

export function printErrorLine(line: string): void {
  process.stderr.write(`${line}\n`)
}
