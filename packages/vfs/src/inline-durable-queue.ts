import { TinyDbError } from './errors.js'
import type { DurableStep, QueuedDurable, VfsFile } from './vfs.js'

/** The calls of a file a queued step is made of. */
export type StepIo = Pick<VfsFile, 'path' | 'write' | 'writev' | 'size' | 'truncate' | 'sync'>

/**
 * `VfsFile.queueDurable` made of the file's own `write`, `writev`, `size`, `truncate` and `sync`,
 * run on the calling thread, one sequence after another. It is the port's semantics with every
 * operation a separate call, so a `SimVfs` crash or fault lands between any two of them, and an
 * `ObservedVfs` reports each one; it does not progress while the thread is busy (`NodeVfs` has a
 * queue that does).
 */
export class InlineDurableQueue {
  /** Settles when the last sequence queued has; never rejects. */
  private tail: Promise<unknown> = Promise.resolve()
  private failure: unknown

  constructor(private readonly io: StepIo) {}

  queue(steps: readonly DurableStep[]): QueuedDurable {
    let state: 'queued' | 'started' | 'cancelled' | 'durable' = 'queued'
    const done = this.tail.then(async (): Promise<'durable' | 'cancelled'> => {
      if (state === 'cancelled') return 'cancelled'
      state = 'started'
      if (this.failure !== undefined) throw poisoned(this.io.path, this.failure)
      try {
        for (const step of steps) await runStep(this.io, step)
      } catch (error) {
        this.failure ??= error
        throw error
      }
      state = 'durable'
      return 'durable'
    })
    this.tail = done.catch(() => undefined)
    return {
      done,
      isDurable: () => state === 'durable',
      cancel: () => {
        if (state !== 'queued') return false
        state = 'cancelled'
        return true
      },
    }
  }

  /** Settles once every sequence queued so far has. */
  settled(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}

async function runStep(io: StepIo, step: DurableStep): Promise<void> {
  for (const { position, buffers } of step.writes) {
    if (buffers.length === 1) await io.write(buffers[0]!, position)
    else await io.writev(buffers, position)
  }
  if (step.minimumSize !== undefined && (await io.size()) < step.minimumSize) await io.truncate(step.minimumSize)
  await io.sync()
}

/** What a sequence queued after a failed one rejects with. */
export function poisoned(path: string, cause: unknown): TinyDbError {
  return new TinyDbError('POISONED', `${path}: an earlier queued write or fdatasync failed; nothing more is written through this handle`, {
    file: path,
    cause,
  })
}
