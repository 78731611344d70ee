const BRAND = Symbol.for('@tinydb/SimCrashError')

/**
 * Thrown by every SimVfs operation from the crash point set by `crashAtOperation` until `crash()`:
 * the machine lost power and the code running on it is no longer running. Deliberately not a
 * `TinyDbError`, so no layer can mistake it for an I/O error it should handle.
 */
export class SimCrashError extends Error {
  readonly [BRAND] = true

  constructor(message: string) {
    super(message)
    this.name = 'SimCrashError'
  }

  static isInstance(value: unknown): value is SimCrashError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return SimCrashError.isInstance(value)
  }
}
