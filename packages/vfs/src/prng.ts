import { TinyDbError } from './errors.js'

/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32), so every random choice
 * a test makes — which sectors of a torn write land, which file to corrupt, which keys to write — is
 * reproduced exactly by rerunning with the same seed. Not for cryptography.
 */
export class Prng {
  readonly seed: number
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new TinyDbError('INVALID_ARGUMENT', `seed must be an integer, got ${seed}`)
    this.seed = seed
    // splitmix32 spreads a small or sequential seed (1, 2, 3…) over all four state words.
    let s = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = split()
    this.b = split()
    this.c = split()
    this.d = split()
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** A uniformly distributed integer in [0, 2^32). */
  uint32(): number {
    let t = (this.a + this.b) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.d = (this.d + 1) >>> 0
    t = (t + this.d) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** A number in [0, 1). */
  next(): number {
    return this.uint32() / 2 ** 32
  }

  /** An integer in [0, n), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) {
      throw new TinyDbError('INVALID_ARGUMENT', `Prng.int(n) needs an integer 1 <= n <= 2^32, got ${n}`)
    }
    return Math.floor(this.next() * n)
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.next() < p
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = this.uint32() & 0xff
    return out
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const item = items[i] as T
      items[i] = items[j] as T
      items[j] = item
    }
    return items
  }
}
