import type { Page } from '@tinydb/pager'
import { TinyDbError } from '@tinydb/vfs'
import { copyBytes } from './bytes.js'
import { compareKeyWithBytes } from './compare.js'
import type { TreeContext } from './context.js'
import { MAX_TREE_DEPTH } from './context.js'
import {
  BRANCH_CELL_KEY_OFFSET,
  BRANCH_PAGE_TYPE,
  branchCellOffset,
  branchChildAt,
  branchKeyLength,
  validateBranch,
} from './branch-format.js'
import {
  LEAF_CELL_KEY_OFFSET,
  LEAF_PAGE_TYPE,
  leafCellOffset,
  leafIsOverflow,
  leafKeyLength,
  leafOverflowPageId,
  leafValueLength,
  validateLeaf,
} from './leaf-format.js'
import { OVERFLOW_PAGE_TYPE, overflowNextPage, overflowPageCount, overflowPageProblem } from './overflow-format.js'
import { cellCount } from './slotted-format.js'

export interface TreeProblem {
  readonly pageId: number
  readonly what: string
}

export interface TreeCheckReport {
  /** Every page the tree references (leaf, branch and overflow pages), each once, in walk order. */
  readonly reachablePages: number[]
  readonly keyCount: number
  /** Levels from the root to the leaves: 0 for the empty tree, 1 for a lone root leaf. */
  readonly depth: number
  readonly problems: TreeProblem[]
}

/**
 * The one integrity check of the tree, used by tests, the recovery layer and the CLI alike. It
 * walks every reachable page, overflow chains included, and reports instead of throwing: page
 * structure, key order within pages and against the separators above them, uniform leaf depth,
 * page types, chain lengths against the stored value lengths, and pages reached twice. A page the
 * pager refuses to read (CORRUPTION, or an id it does not know) is recorded and the walk goes on.
 */
export function checkTree(context: TreeContext, rootPageId: number): TreeCheckReport {
  const steps = walkTree(context, rootPageId)
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
  }
}

/**
 * `checkTree` one page at a time: yields the number of pages visited so far after each one, so a
 * long check can be spread over many event-loop turns (and report progress). The pages must not
 * change between steps: walk a snapshot's root (see `TreeSnapshot.check`).
 */
export function* walkTree(context: TreeContext, rootPageId: number): Generator<number, TreeCheckReport, void> {
  const walk = new TreeWalk(context)
  if (rootPageId !== 0) yield* walk.node(rootPageId, 0, undefined, undefined)
  return {
    reachablePages: walk.reachable,
    keyCount: walk.keyCount,
    depth: walk.leafDepth < 0 ? 0 : walk.leafDepth,
    problems: walk.problems,
  }
}

type Steps = Generator<number, void, void>

class TreeWalk {
  readonly reachable: number[] = []
  readonly problems: TreeProblem[] = []
  keyCount = 0
  leafDepth = -1
  private readonly seen = new Set<number>()

  constructor(private readonly context: TreeContext) {}

  /** Walks the subtree at `pageId`, whose keys must lie in [lower, upper). */
  *node(pageId: number, level: number, lower: Uint8Array | undefined, upper: Uint8Array | undefined): Steps {
    if (level >= MAX_TREE_DEPTH) return this.problem(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels`)
    const readable = this.visit(pageId)
    yield this.reachable.length
    // Read again after the step: the caller may have read other pages meanwhile, and a page is
    // valid only until the pager's next read (see Page.body).
    const page = readable ? this.read(pageId) : undefined
    if (page === undefined) return
    if (page.type === LEAF_PAGE_TYPE) return yield* this.leaf(page, level, lower, upper)
    if (page.type === BRANCH_PAGE_TYPE) return yield* this.branch(page, level, lower, upper)
    this.problem(pageId, `expected a leaf or branch page, found page type ${page.type}`)
  }

  private *leaf(page: Page, level: number, lower: Uint8Array | undefined, upper: Uint8Array | undefined): Steps {
    const body = page.body
    const leafId = page.id
    if (this.leafDepth < 0) this.leafDepth = level + 1
    else if (this.leafDepth !== level + 1) {
      this.problem(page.id, `leaf at depth ${level + 1}, other leaves at depth ${this.leafDepth}`)
    }
    const structural = this.context.layoutProblem(body) ?? validateLeaf(body)
    if (structural !== undefined) return this.problem(page.id, structural)
    const count = cellCount(body)
    if (count === 0) this.problem(page.id, level === 0 ? 'empty root leaf (the empty tree has root 0)' : 'empty leaf')
    this.keyCount += count
    // Chains are walked after the loop: reading their pages may reuse this leaf's buffer.
    const chains: number[] = []
    for (let i = 0; i < count; i++) {
      const offset = leafCellOffset(body, i)
      const keyStart = offset + LEAF_CELL_KEY_OFFSET
      const keyLength = leafKeyLength(body, offset)
      if (i === 0 && lower !== undefined && compareKeyWithBytes(lower, body, keyStart, keyLength) > 0) {
        this.problem(page.id, 'first key is below the separator that leads to this leaf')
      }
      if (i === count - 1 && upper !== undefined && compareKeyWithBytes(upper, body, keyStart, keyLength) <= 0) {
        this.problem(page.id, 'last key is not below the separator after this leaf')
      }
      if (leafIsOverflow(body, offset)) chains.push(leafOverflowPageId(body, offset), leafValueLength(body, offset))
    }
    for (let i = 0; i < chains.length; i += 2) yield* this.overflowChain(leafId, chains[i]!, chains[i + 1]!)
  }

  private *branch(page: Page, level: number, lower: Uint8Array | undefined, upper: Uint8Array | undefined): Steps {
    const body = page.body
    const structural = this.context.layoutProblem(body) ?? validateBranch(body)
    if (structural !== undefined) return this.problem(page.id, structural)
    const count = cellCount(body)
    if (count === 0) this.problem(page.id, 'branch with a single child')
    const separators: Uint8Array[] = []
    for (let i = 0; i < count; i++) {
      const offset = branchCellOffset(body, i)
      separators.push(copyBytes(body, offset + BRANCH_CELL_KEY_OFFSET, branchKeyLength(body, offset)))
    }
    // Every subtree holds a key, so separators lie strictly inside the bounds from above.
    const first = separators[0]
    const last = separators[count - 1]
    if (first !== undefined && lower !== undefined && compareKeyWithBytes(first, lower, 0, lower.length) <= 0) {
      this.problem(page.id, 'first separator is not above the separator that leads to this branch')
    }
    if (last !== undefined && upper !== undefined && compareKeyWithBytes(last, upper, 0, upper.length) >= 0) {
      this.problem(page.id, 'last separator is not below the separator after this branch')
    }
    // Child ids are read now: the recursion below does not keep this page's body.
    const children: number[] = []
    for (let i = 0; i <= count; i++) children.push(branchChildAt(body, i))
    for (let i = 0; i <= count; i++) {
      yield* this.node(children[i]!, level + 1, i === 0 ? lower : separators[i - 1], i === count ? upper : separators[i])
    }
  }

  private *overflowChain(leafId: number, firstPageId: number, valueLength: number): Steps {
    const pages = overflowPageCount(valueLength, this.context.bodySize)
    if (pages === 0) return this.problem(leafId, 'overflow reference for an empty value')
    let pageId = firstPageId
    for (let index = 0; index < pages; index++) {
      const readable = this.visit(pageId)
      yield this.reachable.length
      const page = readable ? this.read(pageId) : undefined
      if (page === undefined) return
      if (page.type !== OVERFLOW_PAGE_TYPE) {
        return this.problem(pageId, `expected an overflow page (chain of leaf ${leafId}), found page type ${page.type}`)
      }
      const problem = overflowPageProblem(page.body, index, valueLength)
      if (problem !== undefined) return this.problem(pageId, problem)
      pageId = overflowNextPage(page.body)
    }
  }

  /** Marks the page reached and tries to read it; false when it was reached before or is unreadable. */
  private visit(pageId: number): boolean {
    if (this.seen.has(pageId)) {
      this.problem(pageId, 'page reached twice')
      return false
    }
    this.seen.add(pageId)
    this.reachable.push(pageId)
    return this.read(pageId) !== undefined
  }

  /** The page, or undefined (and a problem recorded) when the pager refuses to read it. */
  private read(pageId: number): Page | undefined {
    try {
      return this.context.pager.read(pageId)
    } catch (error) {
      if (TinyDbError.isInstance(error) && (error.code === 'CORRUPTION' || error.code === 'INVALID_ARGUMENT')) {
        this.problem(pageId, error.detail ?? error.message)
        return undefined
      }
      throw error
    }
  }

  private problem(pageId: number, what: string): void {
    this.problems.push({ pageId, what })
  }
}
