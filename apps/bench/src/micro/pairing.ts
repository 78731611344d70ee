/** A benchmark, by its mitata name, and the floor benchmark it is divided by. */
export interface FloorPairing {
  readonly name: string
  readonly floor: string
  /** Operations one iteration performs (64 for a round of 64 concurrent appends). */
  readonly opsPerIteration: number
}
