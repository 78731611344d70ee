import { InvalidArgumentError } from 'commander'

/** A commander argument parser for integers >= `min`; a bad value is a usage error (exit 2). */
export function integerAtLeast(min: number): (value: string) => number {
  return (value: string): number => {
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isSafeInteger(parsed) || parsed < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'`)
    }
    return parsed
  }
}
