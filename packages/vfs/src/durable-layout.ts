import { checkOffset } from './arguments.js'
import { LAYOUT_START, NO_MINIMUM_SIZE, stagingStart } from './durable-protocol.js'
import type { DurableStep } from './vfs.js'

/** A sequence ready to post: see durable-protocol.ts for the layout. */
export interface PackedSequence {
  readonly memories: SharedArrayBuffer[]
  /** The layout's length, in doubles: it is in memory 0, from `LAYOUT_START`. */
  readonly layoutSlots: number
  /** The state word, in memory 0. */
  readonly state: Int32Array
}

/** Where `packSequence` lays a sequence out before memory 0 is sized; grown as needed, never shrunk. */
let scratch = new Float64Array(1024)

/**
 * Packs `steps` for the worker into the sequence's own memory, which `memoryFor` gives (at least
 * `bytes` long, its state word QUEUED): the layout, then a copy of every buffer not in
 * SharedArrayBuffer memory, made now, so the caller's ordinary buffers are free again when this
 * returns (the worker cannot see them anyway). Bytes in SharedArrayBuffer memory are referred to
 * where they are. Positions and sizes are checked here, so a bad one rejects before anything is
 * posted.
 *
 * Cost is per buffer, and a checkpoint has thousands: on Node 20 a typed array's `buffer` and
 * `byteOffset` getters are calls of ~60 and ~40 ns (`length` ~2 ns), so each is read at most once
 * per buffer, `byteOffset` only where it is needed, and `length` stands for `byteLength`.
 */
export function packSequence(
  steps: readonly DurableStep[],
  path: string,
  memoryFor: (bytes: number) => SharedArrayBuffer = (bytes) => new SharedArrayBuffer(bytes),
): PackedSequence {
  // Indexed loops, not for...of: a checkpoint packs seldom, so mostly before V8 optimizes this,
  // and unoptimized for...of runs the iterator protocol per element (first call 5.5 → 3.5 ms).
  let slots = 1
  for (let s = 0; s < steps.length; s++) {
    const { writes, minimumSize } = steps[s]!
    if (minimumSize !== undefined) checkOffset(minimumSize, 'minimum size', path)
    slots += 2
    for (let w = 0; w < writes.length; w++) {
      const write = writes[w]!
      checkOffset(write.position, 'write position', path)
      slots += 2 + 3 * write.buffers.length
    }
  }

  const memories: SharedArrayBuffer[] = [] // memory 0, the sequence's own, is put in front at the end
  const memoryIndex = new Map<SharedArrayBuffer, number>()
  // Pages of one checkpoint usually share one pool: most buffers are in the previous one's memory.
  let lastMemory: SharedArrayBuffer | undefined
  let lastIndex = 0
  /** Ordinary buffers, in the order they are staged from `stagingStart(slots)` on. */
  const staged: Uint8Array[] = []
  const stagedFrom = stagingStart(slots)
  let stagedBytes = 0
  // Laid out here first (the size of memory 0 is known only at the end), then copied there.
  if (scratch.length < slots) scratch = new Float64Array(Math.max(slots, 2 * scratch.length))
  const layout = scratch
  let at = 0
  layout[at++] = steps.length
  for (let s = 0; s < steps.length; s++) {
    const { writes, minimumSize } = steps[s]!
    layout[at++] = minimumSize ?? NO_MINIMUM_SIZE
    layout[at++] = writes.length
    for (let w = 0; w < writes.length; w++) {
      const { position, buffers } = writes[w]!
      layout[at++] = position
      layout[at++] = buffers.length
      for (let b = 0; b < buffers.length; b++) {
        const buffer = buffers[b]!
        const memory = buffer.buffer
        const length = buffer.length
        if (memory === lastMemory) {
          layout[at++] = lastIndex
          layout[at++] = buffer.byteOffset
        } else if (memory instanceof SharedArrayBuffer) {
          let index = memoryIndex.get(memory)
          if (index === undefined) {
            index = memories.push(memory) // 1-based: memory 0 goes in front
            memoryIndex.set(memory, index)
          }
          lastMemory = memory
          lastIndex = index
          layout[at++] = index
          layout[at++] = buffer.byteOffset
        } else {
          staged.push(buffer)
          layout[at++] = 0
          layout[at++] = stagedFrom + stagedBytes
          stagedBytes += length
        }
        layout[at++] = length
      }
    }
  }

  const own = memoryFor(stagedFrom + stagedBytes)
  new Float64Array(own, LAYOUT_START, slots).set(slots === scratch.length ? scratch : scratch.subarray(0, slots))
  if (staged.length > 0) {
    const staging = new Uint8Array(own)
    let stagedAt = stagedFrom
    for (let i = 0; i < staged.length; i++) {
      const buffer = staged[i]!
      staging.set(buffer, stagedAt)
      stagedAt += buffer.length
    }
  }
  memories.unshift(own)
  return { memories, layoutSlots: slots, state: new Int32Array(own, 0, 1) }
}
