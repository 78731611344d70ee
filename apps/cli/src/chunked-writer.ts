/**
 * Writes text to a stream in chunks of about `chunkSize` characters and honours backpressure: when
 * `write` returns false, the next flush waits for 'drain'. Batching lines into chunks keeps a large
 * dump from paying one write call per entry.
 */
export class ChunkedWriter {
  private pending: string[] = []
  private pendingLength = 0

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly chunkSize = 64 * 1024,
  ) {}

  /** Queues `text`; resolves once whatever had to be flushed was accepted by the stream. */
  async write(text: string): Promise<void> {
    this.pending.push(text)
    this.pendingLength += text.length
    if (this.pendingLength >= this.chunkSize) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.pendingLength === 0) return
    const chunk = this.pending.join('')
    this.pending = []
    this.pendingLength = 0
    if (!this.stream.write(chunk)) await waitForDrain(this.stream)
  }
}

function waitForDrain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      stream.off('error', onError)
      resolve()
    }
    const onError = (error: unknown): void => {
      stream.off('drain', onDrain)
      reject(error)
    }
    stream.once('drain', onDrain)
    stream.once('error', onError)
  })
}
