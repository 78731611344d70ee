import { DURABLE, LAYOUT_START, NO_MINIMUM_SIZE, QUEUED, RUNNING } from './durable-protocol.js'

/** Linux's limit on the buffers of one pwritev. */
const IOV_MAX = 1024

/**
 * The durable-write worker, as CommonJS source for `new Worker(source, { eval: true })`: a string,
 * so it loads the same from the TypeScript sources under a test runner and from the compiled dist,
 * with no file to locate next to the module. It needs only node:fs and node:worker_threads.
 *
 * It runs each sequence with blocking calls on the fd the main thread opened (fds are
 * process-wide), so a write → fdatasync → write chain needs nothing from the main thread. Messages
 * are handled one at a time in arrival order, which is queue order. After a failure on a file,
 * sequences of that file already posted are reported `poisoned` without touching the file.
 */
export const DURABLE_WORKER_SOURCE = `'use strict'
const fs = require('node:fs')
const { parentPort } = require('node:worker_threads')

const poisonedFiles = new Set()

parentPort.on('message', (message) => {
  if (message.kind === 'forget') poisonedFiles.delete(message.file)
  else parentPort.postMessage(run(message))
})

function run({ seq, file, fd, memories, layoutSlots }) {
  const state = new Int32Array(memories[0], 0, 1)
  if (Atomics.compareExchange(state, 0, ${QUEUED}, ${RUNNING}) !== ${QUEUED}) return { seq, outcome: 'cancelled' }
  if (poisonedFiles.has(file)) return { seq, outcome: 'poisoned' }
  let operation = 'write'
  try {
    const layout = new Float64Array(memories[0], ${LAYOUT_START}, layoutSlots)
    let at = 0
    const stepCount = layout[at++]
    for (let step = 0; step < stepCount; step++) {
      const minimumSize = layout[at++]
      const writeCount = layout[at++]
      operation = 'write'
      for (let w = 0; w < writeCount; w++) {
        let position = layout[at++]
        // At most IOV_MAX views per call (libuv splits a longer pwritev there anyway), so what the
        // worker holds at once is bounded however many buffers a write has.
        for (let left = layout[at++]; left > 0; left -= ${IOV_MAX}) {
          const views = new Array(Math.min(left, ${IOV_MAX}))
          let total = 0
          for (let b = 0; b < views.length; b++) {
            views[b] = new Uint8Array(memories[layout[at]], layout[at + 1], layout[at + 2])
            total += layout[at + 2]
            at += 3
          }
          writeAll(fd, views, total, position)
          position += total
        }
      }
      if (minimumSize !== ${NO_MINIMUM_SIZE}) {
        operation = 'stat'
        if (fs.fstatSync(fd).size < minimumSize) {
          operation = 'truncate'
          fs.ftruncateSync(fd, minimumSize)
        }
      }
      operation = 'fdatasync'
      fs.fdatasyncSync(fd)
    }
    Atomics.store(state, 0, ${DURABLE})
    return { seq, outcome: 'durable' }
  } catch (error) {
    poisonedFiles.add(file)
    const fields = typeof error === 'object' && error !== null ? error : {}
    return {
      seq,
      outcome: 'failed',
      operation,
      message: typeof fields.message === 'string' ? fields.message : String(error),
      code: typeof fields.code === 'string' ? fields.code : undefined,
      errno: typeof fields.errno === 'number' ? fields.errno : undefined,
      syscall: typeof fields.syscall === 'string' ? fields.syscall : undefined,
    }
  }
}

// A short count means the rest failed after some bytes landed (or a signal cut it): writing the
// rest makes progress or reports the error. A count of 0 for a non-empty write would loop for ever.
function writeAll(fd, views, total, position) {
  let done = 0
  while (done < total) {
    const written = views.length === 1
      ? fs.writeSync(fd, views[0], done, total - done, position + done)
      : fs.writevSync(fd, done === 0 ? views : viewsAfter(views, done), position + done)
    if (written === 0) throw new Error('write made no progress')
    done += written
  }
}

function viewsAfter(views, offset) {
  let skipped = 0
  for (let index = 0; index < views.length; index++) {
    const view = views[index]
    if (skipped + view.length > offset) return [view.subarray(offset - skipped), ...views.slice(index + 1)]
    skipped += view.length
  }
  return []
}
`

