import { describe, expect, it } from 'vitest'
import { compareBytes, prefixEnd, scanOptions } from '../src/scan-range.js'

const bytes = (...values: number[]) => Uint8Array.from(values)
const text = (value: string) => new TextEncoder().encode(value)

describe('prefixEnd', () => {
  it('increments the last byte', () => {
    expect(prefixEnd(text('user:'))).toEqual(text('user;'))
  })

  it('drops trailing 0xff bytes before incrementing', () => {
    expect(prefixEnd(bytes(0x61, 0xff, 0xff))).toEqual(bytes(0x62))
  })

  it('has no end for an empty or all-0xff prefix', () => {
    expect(prefixEnd(bytes())).toBeUndefined()
    expect(prefixEnd(bytes(0xff, 0xff))).toBeUndefined()
  })

  it('does not modify its argument', () => {
    const prefix = text('ab')
    prefixEnd(prefix)
    expect(prefix).toEqual(text('ab'))
  })
})

describe('compareBytes', () => {
  it('orders by bytes, then by length', () => {
    expect(compareBytes(text('a'), text('b'))).toBeLessThan(0)
    expect(compareBytes(text('ab'), text('a'))).toBeGreaterThan(0)
    expect(compareBytes(text('ab'), text('ab'))).toBe(0)
    expect(compareBytes(bytes(0xff), bytes(0x01, 0x00))).toBeGreaterThan(0)
  })
})

describe('scanOptions', () => {
  it('passes no bounds when no flags are given', () => {
    expect(scanOptions({})).toEqual({})
  })

  it('turns a prefix into [prefix, prefixEnd)', () => {
    expect(scanOptions({ prefix: 'k' })).toEqual({ gte: text('k'), lt: text('l') })
  })

  it('keeps the tighter bound when --prefix and --gte/--lt are combined', () => {
    expect(scanOptions({ prefix: 'k', gte: 'k5', lt: 'z' })).toEqual({ gte: text('k5'), lt: text('l') })
    expect(scanOptions({ prefix: 'k5', gte: 'a', lt: 'k55' })).toEqual({ gte: text('k5'), lt: text('k55') })
  })

  it('passes limit and reverse through', () => {
    expect(scanOptions({ limit: 0, reverse: true })).toEqual({ limit: 0, reverse: true })
    expect(scanOptions({ reverse: false })).toEqual({})
  })
})
