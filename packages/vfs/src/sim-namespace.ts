import type { FileNode } from './sim-file.js'
import { SimErrnoError } from './sim-errno.js'

export type SimNode = FileNode | DirNode

/**
 * A simulated directory. `visible` is the namespace as the running system sees it; `durable` is the
 * directory block on the platter, brought up to date by `syncDir`. Directories are nodes too (not
 * path prefixes), so renaming or losing a directory takes its whole subtree with it, as on a disk.
 */
export class DirNode {
  readonly kind = 'dir'
  readonly visible = new Map<string, SimNode>()
  readonly durable = new Map<string, SimNode>()
}

/** One entry change: `name` in `dir` now points at `node`, or (undefined) is removed. */
interface EntryChange {
  readonly dir: DirNode
  readonly name: string
  readonly node: SimNode | undefined
}

/**
 * The namespace operations (create, mkdir, unlink, rename) not yet made durable, in the order they
 * were made. Each operation is one group of entry changes (a rename is two), applied to `visible` at
 * once. `commit(dir)` — syncDir — makes every change in `dir` durable and drops it from the journal,
 * so what remains is exactly what a crash can still lose. A crash keeps a prefix of the remaining
 * operations (none for 'drop' and 'tear'), like a metadata journal that commits in order.
 */
export class NamespaceJournal {
  private operations: EntryChange[][] = []

  get length(): number {
    return this.operations.length
  }

  record(...changes: EntryChange[]): void {
    for (const change of changes) setEntry(change.dir.visible, change)
    this.operations.push(changes)
  }

  commit(dir: DirNode): void {
    dir.durable.clear()
    for (const [name, node] of dir.visible) dir.durable.set(name, node)
    this.operations = this.operations
      .map((changes) => changes.filter((change) => change.dir !== dir))
      .filter((changes) => changes.length > 0)
  }

  /** Makes the first `count` pending operations durable (a crash that got that far through the journal). */
  persistPrefix(count: number): void {
    for (const changes of this.operations.slice(0, count)) {
      for (const change of changes) setEntry(change.dir.durable, change)
    }
  }

  clear(): void {
    this.operations = []
  }
}

function setEntry(entries: Map<string, SimNode>, change: EntryChange): void {
  if (change.node === undefined) entries.delete(change.name)
  else entries.set(change.name, change.node)
}

/** Splits an absolute, normalised path into its names ('/' has none). */
export function pathNames(path: string): string[] {
  return path.split('/').filter((name) => name !== '')
}

/** The node at `path` in the visible (or durable) namespace, or undefined if there is none. */
export function lookup(root: DirNode, path: string, view: 'visible' | 'durable' = 'visible'): SimNode | undefined {
  let node: SimNode = root
  for (const name of pathNames(path)) {
    if (node.kind !== 'dir') return undefined
    const child: SimNode | undefined = node[view].get(name)
    if (child === undefined) return undefined
    node = child
  }
  return node
}

/** The directory that holds `path` and the entry name, or the errno `syscall` fails with when there is none. */
export function parentOf(root: DirNode, path: string, syscall: string): { dir: DirNode; name: string } {
  const names = pathNames(path)
  const name = names.pop()
  if (name === undefined) throw new SimErrnoError('EISDIR', syscall, path) // the root itself
  let dir: SimNode = root
  for (const component of names) {
    const child: SimNode | undefined = dir.visible.get(component)
    if (child === undefined) throw new SimErrnoError('ENOENT', syscall, path)
    if (child.kind !== 'dir') throw new SimErrnoError('ENOTDIR', syscall, path)
    dir = child
  }
  return { dir, name }
}

/** Every directory and file reachable from `root` through durable entries, each once. */
export function durableTree(root: DirNode): { dirs: DirNode[]; files: FileNode[] } {
  const dirs: DirNode[] = []
  const files = new Set<FileNode>()
  const queue: DirNode[] = [root]
  const seen = new Set<DirNode>()
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    if (seen.has(dir)) continue
    seen.add(dir)
    dirs.push(dir)
    for (const node of dir.durable.values()) {
      if (node.kind === 'dir') queue.push(node)
      else files.add(node)
    }
  }
  return { dirs, files: [...files] }
}
