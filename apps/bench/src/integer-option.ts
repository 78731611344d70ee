/** A command-line count, e.g. `--runs 3`: an integer of at least `minimum`, or an error naming the option. */
function integerOption(option: string, text: string, minimum: 0 | 1): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${option} expects a ${minimum === 1 ? 'positive' : 'non-negative'} integer, got ${text}`)
  }
  return value
}

export function positiveInteger(option: string, text: string): number {
  return integerOption(option, text, 1)
}

export function nonNegativeInteger(option: string, text: string): number {
  return integerOption(option, text, 0)
}
