import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ChunkedWriter } from '../src/chunked-writer.js'

describe('ChunkedWriter', () => {
  it('joins small writes into chunks and waits for drain when the stream is full', async () => {
    const chunks: string[] = []
    const callbacks: (() => void)[] = []
    // highWaterMark 1: every write fills the stream, and it drains only when we complete the write.
    const stream = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'))
        callbacks.push(() => callback())
      },
    })
    const writer = new ChunkedWriter(stream, 4)
    await writer.write('ab')
    expect(chunks).toEqual([])
    let second = false
    const pending = writer.write('cd').then(() => (second = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(chunks).toEqual(['abcd'])
    expect(second).toBe(false) // held back: the stream said it was full
    callbacks.shift()?.()
    await pending
    expect(second).toBe(true)
    await writer.write('e')
    expect(chunks).toEqual(['abcd'])
    const flushed = writer.flush()
    await new Promise((resolve) => setImmediate(resolve))
    expect(chunks).toEqual(['abcd', 'e'])
    callbacks.shift()?.()
    await flushed
  })
})
