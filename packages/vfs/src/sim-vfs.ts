import { posix } from 'node:path'
import type { ByteImage } from './byte-image.js'
import { checkOffset } from './arguments.js'
import { TinyDbError, ioError } from './errors.js'
import { Prng } from './prng.js'
import { SimCrashError } from './sim-crash-error.js'
import { lastPendingWrite, reorderedImage, tornImage } from './sim-crash-image.js'
import { SimErrnoError, type SimErrnoCode } from './sim-errno.js'
import { FaultTable, type FaultError, type FaultOperation, type FaultSpec } from './sim-faults.js'
import { FileNode } from './sim-file.js'
import { SimFile, type SimHost } from './sim-file-handle.js'
import { DirNode, NamespaceJournal, durableTree, lookup, parentOf, pathNames, type SimNode } from './sim-namespace.js'
import type { OpenOptions, Vfs, VfsFile, VfsLock } from './vfs.js'

export interface SimVfsOptions {
  /** Seeds every random choice a crash makes (default 1). */
  readonly seed?: number
}

/**
 * - 'drop': every unsynced write, truncate and namespace change is lost.
 * - 'tear': as 'drop', but a random subset of the 512-byte sectors of the last unsynced write of the
 *   whole disk reached the platter.
 * - 'reorder': every sector of every unsynced write (and every unsynced truncate) independently
 *   reached the platter or not, in a random order; and a random prefix of the unsynced namespace
 *   changes (in the order they were made) became durable.
 */
export type CrashMode = 'drop' | 'tear' | 'reorder'

export interface CrashOptions {
  readonly mode?: CrashMode
}

const CRASH_MODES: readonly CrashMode[] = ['drop', 'tear', 'reorder']

/**
 * A deterministic in-memory disk for crash tests: it keeps what the platter holds (durable) apart
 * from what the running system sees (visible), and `crash()` throws the difference away — all of
 * it, or torn and reordered at sector granularity. See README.md for the exact model.
 */
export class SimVfs implements Vfs {
  readonly seed: number
  private readonly prng: Prng
  private root = new DirNode()
  private readonly journal = new NamespaceJournal()
  private readonly dirty = new Set<FileNode>()
  private readonly faults = new FaultTable()
  private readonly locks = new Map<string, object>()
  private readonly host: SimHost
  private boot = 0
  private writeSeq = 0
  private operations = 0
  private crashPoint: number | undefined
  private haltedAt: number | undefined

  constructor(options: SimVfsOptions = {}) {
    this.seed = options.seed ?? 1
    this.prng = new Prng(this.seed)
    this.host = {
      currentBoot: () => this.boot,
      ensureRunning: (operation, path) => this.ensureRunning(operation, path),
      admit: (operation, paths, counted, fault) => this.admit(operation, paths, counted, fault),
      nextSeq: () => ++this.writeSeq,
      dirty: this.dirty,
    }
  }

  // ---- crash control -------------------------------------------------------------------------

  /** How many state-changing operations were issued (write, truncate, sync, syncDir, rename, unlink, mkdir, creating open). */
  get operationCount(): number {
    return this.operations
  }

  /** True from the moment a crash point fired until `crash()`. */
  get halted(): boolean {
    return this.haltedAt !== undefined
  }

  /**
   * The `n`-th counted operation from now is not performed: it throws SimCrashError, and so does
   * every operation after it, reads included, until `crash()`.
   */
  crashAtOperation(n: number): void {
    if (!Number.isSafeInteger(n) || n < 1) throw new TinyDbError('INVALID_ARGUMENT', `crashAtOperation(n) needs n >= 1, got ${n}`)
    this.crashPoint = this.operations + n
  }

  /**
   * Power loss, then reboot: the visible state becomes what the platter holds (see CrashMode). Every
   * handle opened before is dead, every lock is released, the crash point and halt are cleared.
   * Faults stay injected.
   */
  crash(options: CrashOptions = {}): void {
    const mode = options.mode ?? 'drop'
    if (!CRASH_MODES.includes(mode)) throw new TinyDbError('INVALID_ARGUMENT', `unknown crash mode ${String(mode)}`)
    // Random draws happen in a fixed order (namespace, then files in first-dirtied order): same seed, same image.
    this.journal.persistPrefix(mode === 'reorder' ? this.prng.int(this.journal.length + 1) : 0)
    const images = new Map<FileNode, ByteImage>()
    if (mode === 'tear') {
      const last = lastPendingWrite(this.dirty)
      if (last !== undefined) images.set(last.file, tornImage(last.file, last.write, this.prng))
    } else if (mode === 'reorder') {
      for (const file of this.dirty) images.set(file, reorderedImage(file, this.prng))
    }
    const { dirs, files } = durableTree(this.root)
    for (const dir of dirs) {
      dir.visible.clear()
      for (const [name, node] of dir.durable) dir.visible.set(name, node)
    }
    for (const file of files) file.reboot(images.get(file))
    this.journal.clear()
    this.dirty.clear()
    this.locks.clear()
    this.boot++
    this.crashPoint = undefined
    this.haltedAt = undefined
  }

  /**
   * A new SimVfs holding this one's durable state only, as if this machine had crashed ('drop') —
   * without touching this one. Lets a test recover many times from one crash image.
   */
  clone(options: SimVfsOptions = {}): SimVfs {
    const copy = new SimVfs({ seed: options.seed ?? this.seed })
    const copies = new Map<SimNode, SimNode>()
    const copyDir = (dir: DirNode): DirNode => {
      const created = new DirNode()
      copies.set(dir, created)
      for (const [name, node] of dir.durable) {
        const child = copies.get(node) ?? (node.kind === 'dir' ? copyDir(node) : new FileNode(node.durable.copy()))
        copies.set(node, child)
        created.durable.set(name, child)
        created.visible.set(name, child)
      }
      return created
    }
    copy.root = copyDir(this.root)
    return copy
  }

  injectFault(spec: FaultSpec): void {
    this.faults.add(spec)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  // ---- damage at rest and inspection (test helpers: never counted, never faulted) -----------

  /** Flips bit `bit` (0–7) of the byte at `byteOffset`, on the platter and in what reads see. */
  flipBit(path: string, byteOffset: number, bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) throw new TinyDbError('INVALID_ARGUMENT', `bit must be 0..7, got ${bit}`)
    const file = this.damageTarget(path, byteOffset, 1)
    for (const image of [file.durable, file.visible]) {
      const bytes = image.view()
      if (byteOffset < bytes.length) bytes[byteOffset] = (bytes[byteOffset] ?? 0) ^ (1 << bit)
    }
  }

  /** Replaces bytes at `offset` (inside the file), on the platter and in what reads see. */
  overwrite(path: string, offset: number, bytes: Uint8Array): void {
    const file = this.damageTarget(path, offset, bytes.length)
    file.durable.patch(bytes, offset)
    file.visible.patch(bytes, offset)
  }

  /** Zeroes `length` bytes at `offset` (inside the file), on the platter and in what reads see. */
  zero(path: string, offset: number, length: number): void {
    this.overwrite(path, offset, new Uint8Array(length))
  }

  /** The bytes the platter holds for `path` (as named in the durable namespace). */
  readDurable(path: string): Uint8Array {
    const node = lookup(this.root, normalize(path), 'durable')
    if (node === undefined) throw errno('ENOENT', 'readDurable', path)
    if (node.kind === 'dir') throw errno('EISDIR', 'readDurable', path)
    return node.durable.view().slice()
  }

  /** Every durable path, sorted; directories end with '/'. */
  listDurable(): string[] {
    const paths: string[] = []
    const seen = new Set<DirNode>([this.root])
    const walk = (dir: DirNode, prefix: string): void => {
      for (const [name, node] of dir.durable) {
        const path = `${prefix}/${name}`
        if (node.kind === 'file') paths.push(path)
        else if (!seen.has(node)) {
          seen.add(node)
          paths.push(`${path}/`)
          walk(node, path)
        }
      }
    }
    walk(this.root, '')
    return paths.sort()
  }

  /** The size reads see for the file at `path`. */
  fileSize(path: string): number {
    return this.visibleFile(path, 'fileSize').visible.length
  }

  // ---- Vfs ----------------------------------------------------------------------------------

  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    const normalized = normalize(path)
    this.ensureRunning('open', path)
    const existing = lookup(this.root, normalized)
    const creates = options.create === true && existing === undefined
    this.fail('open', path, this.admit('open', [normalized], creates, 'open'))
    if (existing?.kind === 'dir') throw errno('EISDIR', 'open', path)
    const dsync = options.dsync === true
    if (existing !== undefined) return new SimFile(path, normalized, existing, this.host, dsync)
    if (options.create !== true) throw errno('ENOENT', 'open', path)
    const { dir, name } = this.parent('open', path, normalized)
    const file = new FileNode()
    this.journal.record({ dir, name, node: file })
    return new SimFile(path, normalized, file, this.host, dsync)
  }

  async exists(path: string): Promise<boolean> {
    this.ensureRunning('exists', path)
    return lookup(this.root, normalize(path)) !== undefined
  }

  async readdir(dir: string): Promise<string[]> {
    this.ensureRunning('readdir', dir)
    return [...this.visibleDir(dir, 'readdir').visible.keys()].sort()
  }

  async mkdir(dir: string): Promise<void> {
    this.admit('mkdir', [normalize(dir)], true, undefined)
    let node: DirNode = this.root
    const names = pathNames(normalize(dir))
    for (const [index, name] of names.entries()) {
      const child = node.visible.get(name)
      if (child?.kind === 'file') throw errno(index === names.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', dir)
      if (child !== undefined) {
        node = child
        continue
      }
      const created = new DirNode()
      this.journal.record({ dir: node, name, node: created })
      node = created
    }
  }

  async unlink(path: string): Promise<void> {
    const normalized = normalize(path)
    this.fail('unlink', path, this.admit('unlink', [normalized], true, 'unlink'))
    const { dir, name } = this.parent('unlink', path, normalized)
    const node = dir.visible.get(name)
    if (node === undefined) throw errno('ENOENT', 'unlink', path)
    if (node.kind === 'dir') throw errno('EISDIR', 'unlink', path)
    this.journal.record({ dir, name, node: undefined })
  }

  async rename(from: string, to: string): Promise<void> {
    const source = normalize(from)
    const target = normalize(to)
    this.fail('rename', from, this.admit('rename', [source, target], true, 'rename'))
    const origin = this.parent('rename', from, source)
    const node = origin.dir.visible.get(origin.name)
    if (node === undefined) throw errno('ENOENT', 'rename', from)
    const destination = this.parent('rename', from, target)
    if (source === target) return
    const replaced = destination.dir.visible.get(destination.name)
    if (node.kind === 'file' && replaced?.kind === 'dir') throw errno('EISDIR', 'rename', from)
    if (node.kind === 'dir') {
      if (target.startsWith(`${source}/`)) throw errno('EINVAL', 'rename', from)
      if (replaced?.kind === 'file') throw errno('ENOTDIR', 'rename', from)
      if (replaced?.kind === 'dir' && replaced.visible.size > 0) throw errno('ENOTEMPTY', 'rename', from)
    }
    // One journal entry: a crash keeps both halves of the rename or neither (unless one directory was synced).
    this.journal.record(
      { dir: origin.dir, name: origin.name, node: undefined },
      { dir: destination.dir, name: destination.name, node },
    )
  }

  async syncDir(dir: string): Promise<void> {
    this.fail('fsync directory', dir, this.admit('fsync directory', [normalize(dir)], true, 'syncDir'))
    this.journal.commit(this.visibleDir(dir, 'fsync directory'))
  }

  /** An in-memory lock table: not a file, so it never shows up in `readdir`. Released by `crash()`. */
  async lock(path: string): Promise<VfsLock> {
    this.ensureRunning('lock', path)
    const normalized = normalize(path)
    this.parent('lock', path, normalized)
    if (this.locks.has(normalized)) throw new TinyDbError('LOCKED', `${path} is locked`, { file: path })
    const token = {}
    this.locks.set(normalized, token)
    return {
      release: async () => {
        this.ensureRunning('release', path)
        // After a crash the lock is gone already, and may be someone else's now.
        if (this.locks.get(normalized) === token) this.locks.delete(normalized)
      },
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  private ensureRunning(operation: string, path: string): void {
    if (this.haltedAt === undefined) return
    throw new SimCrashError(
      `simulated crash: the machine went down at operation ${this.haltedAt}; ${operation} ${path} refused until crash()`,
    )
  }

  private admit(operation: string, paths: readonly string[], counted: boolean, fault: FaultOperation | undefined): FaultError | undefined {
    this.ensureRunning(operation, paths.join(' -> '))
    if (counted) {
      this.operations++
      if (this.operations === this.crashPoint) {
        this.haltedAt = this.operations
        this.crashPoint = undefined
        throw new SimCrashError(`simulated crash at operation ${this.operations}: ${operation} ${paths.join(' -> ')} not performed`)
      }
    }
    return fault === undefined ? undefined : this.faults.check(fault, paths)
  }

  private fail(operation: string, path: string, fault: FaultError | undefined): void {
    if (fault !== undefined) throw errno(fault, operation, path)
  }

  private parent(syscall: string, path: string, normalized: string): { dir: DirNode; name: string } {
    try {
      return parentOf(this.root, normalized, syscall)
    } catch (error) {
      throw ioError(syscall, path, error)
    }
  }

  private visibleDir(path: string, syscall: string): DirNode {
    const node = lookup(this.root, normalize(path))
    if (node === undefined) throw errno('ENOENT', syscall, path)
    if (node.kind !== 'dir') throw errno('ENOTDIR', syscall, path)
    return node
  }

  private visibleFile(path: string, syscall: string): FileNode {
    const node = lookup(this.root, normalize(path))
    if (node === undefined) throw errno('ENOENT', syscall, path)
    if (node.kind !== 'file') throw errno('EISDIR', syscall, path)
    return node
  }

  private damageTarget(path: string, offset: number, length: number): FileNode {
    checkOffset(offset, 'offset', path)
    const file = this.visibleFile(path, 'damage')
    const size = Math.max(file.visible.length, file.durable.length)
    if (offset + length > size) {
      throw new TinyDbError('INVALID_ARGUMENT', `damage at ${offset}+${length} is past the end of ${path} (${size} bytes)`, { file: path })
    }
    return file
  }
}

/** Paths are POSIX and absolute: 'db/x', '/db/./x' and '/db//x/' all name '/db/x'. */
function normalize(path: string): string {
  return posix.resolve('/', path)
}

function errno(code: SimErrnoCode, syscall: string, path: string): TinyDbError {
  return ioError(syscall, path, new SimErrnoError(code, syscall, path))
}
