import { checkOffset } from './arguments.js'
import { TinyDbError, ioError } from './errors.js'
import { InlineDurableQueue } from './inline-durable-queue.js'
import { SimErrnoError } from './sim-errno.js'
import type { FaultError, FaultOperation } from './sim-faults.js'
import type { FileNode } from './sim-file.js'
import type { DurableStep, QueuedDurable, VfsFile } from './vfs.js'

/** What a file handle needs from the SimVfs that opened it. */
export interface SimHost {
  /** Incremented by every crash(): handles from an earlier boot are dead. */
  currentBoot(): number
  /** Throws SimCrashError while the machine is halted at a crash point. */
  ensureRunning(operation: string, path: string): void
  /**
   * Admits an operation on the running machine: counts it when it changes state (which may fire
   * the crash point) and returns the injected fault it must fail with, if any.
   */
  admit(operation: string, paths: readonly string[], counted: boolean, fault: FaultOperation | undefined): FaultError | undefined
  /** The next write sequence number, disk-wide, so a crash can tell which unsynced write was last. */
  nextSeq(): number
  readonly dirty: Set<FileNode>
}

/** An open SimVfs file: a handle on a FileNode, dead once the machine crashes. */
export class SimFile implements VfsFile {
  private closed = false
  private readonly boot: number
  /** Queued sequences run as separate calls on this handle: each write and sync a crash point. */
  private readonly durableQueue = new InlineDurableQueue(this)

  constructor(
    readonly path: string,
    private readonly normalizedPath: string,
    private readonly node: FileNode,
    private readonly host: SimHost,
    /** Opened with `dsync`: each write is followed by the sync it implies, a crash point of its own. */
    private readonly dsync = false,
  ) {
    this.boot = host.currentBoot()
  }

  readSync(buffer: Uint8Array, position: number): number {
    checkOffset(position, 'read position', this.path)
    this.enter('read', false, 'read')
    return this.node.visible.read(buffer, position)
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    return this.readSync(buffer, position)
  }

  async write(buffer: Uint8Array, position: number): Promise<void> {
    this.writeVolatile(buffer, position)
    // O_DSYNC: the bytes are durable before the write returns. A crash (or an injected sync fault)
    // between the two leaves them as a crash during an O_DSYNC write can: volatile, torn or lost.
    if (this.dsync) await this.sync()
  }

  /**
   * One `write` of the concatenation, so it has write's crash points, faults, operation count and
   * tearing by construction: a crash can tear it at any sector, across the buffers' boundaries, as
   * a real pwritev can be. The concatenation is a copy, so no caller's buffer is kept.
   */
  async writev(buffers: readonly Uint8Array[], position: number): Promise<void> {
    await this.write(Buffer.concat(buffers), position)
  }

  /**
   * The same operations as `write` — the same crash points and faults, the dsync handle's sync a
   * crash point of its own — but nothing else can run between the write and its sync, as nothing
   * else on the JavaScript thread runs during a real blocking write.
   */
  writeSync(buffer: Uint8Array, position: number): void {
    this.writeVolatile(buffer, position)
    if (this.dsync) this.syncNow()
  }

  async size(): Promise<number> {
    this.enter('stat', false, undefined)
    return this.node.visible.length
  }

  async truncate(size: number): Promise<void> {
    checkOffset(size, 'size', this.path)
    this.enter('truncate', true, 'truncate')
    this.node.truncate(size, this.host.nextSeq())
    this.host.dirty.add(this.node)
  }

  async sync(): Promise<void> {
    this.syncNow()
  }

  private writeVolatile(buffer: Uint8Array, position: number): void {
    checkOffset(position, 'write position', this.path)
    this.enter('write', true, 'write')
    this.node.write(buffer, position, this.host.nextSeq())
    if (this.node.pending.length > 0) this.host.dirty.add(this.node)
  }

  private syncNow(): void {
    this.enter('fdatasync', true, 'sync', () => {
      // The writes this failed fsync did not flush are lost for good (see FileNode.forgetPending).
      this.node.forgetPending()
      this.host.dirty.delete(this.node)
    })
    this.node.sync()
    this.host.dirty.delete(this.node)
  }

  queueDurable(steps: readonly DurableStep[]): QueuedDurable {
    return this.durableQueue.queue(steps)
  }

  async close(): Promise<void> {
    await this.durableQueue.settled()
    this.host.ensureRunning('close', this.path)
    if (this.closed && this.boot === this.host.currentBoot()) return
    this.enter('close', false, undefined)
    this.closed = true
  }

  /**
   * The checks every operation makes, in order: the machine is up, the handle is from this boot,
   * the handle is open; then the operation is counted and an injected fault, if due, is thrown
   * (after `onFault` has applied its effect on the disk).
   */
  private enter(operation: string, counted: boolean, fault: FaultOperation | undefined, onFault?: () => void): void {
    this.host.ensureRunning(operation, this.path)
    if (this.boot !== this.host.currentBoot()) {
      throw new TinyDbError('IO', `stale handle after crash: ${this.path} was opened before the last crash()`, { file: this.path })
    }
    if (this.closed) throw ioError(operation, this.path, new SimErrnoError('EBADF', operation, this.path))
    const error = this.host.admit(operation, [this.normalizedPath], counted, fault)
    if (error === undefined) return
    onFault?.()
    throw ioError(operation, this.path, new SimErrnoError(error, operation, this.path))
  }
}
