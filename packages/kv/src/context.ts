import type { Page, Pager } from '@tinydb/pager'
import { TinyDbError, corruption } from '@tinydb/vfs'
import { BRANCH_HEADER_SIZE, BRANCH_PAGE_TYPE } from './branch-format.js'
import { LEAF_HEADER_SIZE, LEAF_PAGE_TYPE } from './leaf-format.js'
import { CellList } from './cell-list.js'
import { PAGER_HEADER_ALLOWANCE, maxCellSize, usesKeyHeads } from './limits.js'
import { overflowCapacity } from './overflow-format.js'
import { hasKeyHeads, slotLayoutProblem, slotSizeFor, slottedHeaderProblem } from './slotted-format.js'

/** Deeper than any tree of 2^53 keys with fan-out >= 4: a longer descent means a cycle. */
export const MAX_TREE_DEPTH = 40

/**
 * What every part of one tree shares: the pager, the derived sizes, and scratch buffers for page
 * rebuilds (a mutation runs synchronously to completion, so one set per tree is enough).
 */
export class TreeContext {
  readonly bodySize: number
  /**
   * Whether this tree's leaf and branch pages use the key-head slot layout (slotted-format.ts),
   * which the data file's format version decides. Every page of the tree uses the same layout:
   * `readNode` reports a page in the other one as CORRUPTION.
   */
  readonly keyHeads: boolean
  /** Bytes of slot per cell in this tree's pages. */
  readonly slotSize: number
  /** Largest leaf or branch cell, slot excluded (limits.ts). */
  readonly maxCellSize: number
  readonly overflowCapacity: number
  /** Body-sized buffers for copying a page aside while it is rebuilt. */
  readonly scratchA: Uint8Array
  readonly scratchB: Uint8Array
  /** Holds the one new cell of an insert that has to split. */
  readonly cellScratch: Uint8Array
  private readonly rebuildCells: CellList

  constructor(
    readonly pager: Pager,
    readonly file: string,
  ) {
    if (pager.bodySize < pager.pageSize - PAGER_HEADER_ALLOWANCE) {
      throw new TinyDbError(
        'INVALID_ARGUMENT',
        `pager body size ${pager.bodySize} leaves less than pageSize - ${PAGER_HEADER_ALLOWANCE} bytes per page`,
      )
    }
    if (pager.bodySize > 0xffff) {
      throw new TinyDbError('INVALID_ARGUMENT', `pager body size ${pager.bodySize} exceeds the u16 page offsets`)
    }
    this.bodySize = pager.bodySize
    this.keyHeads = usesKeyHeads(pager.formatVersion)
    this.slotSize = slotSizeFor(this.keyHeads)
    this.maxCellSize = maxCellSize(pager.bodySize, this.keyHeads)
    this.overflowCapacity = overflowCapacity(pager.bodySize)
    this.scratchA = new Uint8Array(pager.bodySize)
    this.scratchB = new Uint8Array(pager.bodySize)
    this.cellScratch = new Uint8Array(pager.bodySize)
    this.rebuildCells = new CellList(this.slotSize)
  }

  /**
   * The emptied list of cells for a page rebuild (split or redistribution). One per tree: a
   * rebuild is synchronous and done with its list before the next begins (a split's separator is
   * copied out of it before the parent is touched).
   */
  cellsForRebuild(): CellList {
    this.rebuildCells.clear()
    return this.rebuildCells
  }

  corruption(pageId: number, what: string): TinyDbError {
    return corruption({ file: this.file, pageId }, what)
  }

  /**
   * `pager.read`, except that an id the pager does not know (INVALID_ARGUMENT) is reported as
   * CORRUPTION: every id the tree reads comes from a page or the meta, so a bad one is damage.
   */
  readPage(pageId: number): Page {
    try {
      return this.pager.read(pageId)
    } catch (error) {
      if (TinyDbError.isInstance(error) && error.code === 'INVALID_ARGUMENT') {
        throw corruption({ file: this.file, pageId }, `page id ${pageId} is not an allocated page`, error)
      }
      throw error
    }
  }

  /**
   * Reads a leaf or branch page and sanity-checks its header, so a wrong page type or wild
   * offsets surface as CORRUPTION naming the page instead of as garbage results.
   */
  readNode(pageId: number): Page {
    const page = this.readPage(pageId)
    const type = page.type
    const headerSize = type === BRANCH_PAGE_TYPE ? BRANCH_HEADER_SIZE : LEAF_HEADER_SIZE
    if (type !== BRANCH_PAGE_TYPE && type !== LEAF_PAGE_TYPE) {
      throw this.corruption(pageId, `expected a leaf or branch page, found page type ${type}`)
    }
    const problem = this.layoutProblem(page.body) ?? slottedHeaderProblem(page.body, headerSize)
    if (problem !== undefined) throw this.corruption(pageId, problem)
    return page
  }

  /**
   * Why the slot layout of a leaf or branch body is not this tree's, or undefined. Asked before
   * the header's bounds, which mean nothing in a layout the tree does not expect.
   */
  layoutProblem(body: Uint8Array): string | undefined {
    const unknown = slotLayoutProblem(body)
    if (unknown !== undefined) return unknown
    if (hasKeyHeads(body) === this.keyHeads) return undefined
    return this.keyHeads
      ? 'page uses the offsets-only slot layout in a tree of key-head pages'
      : 'page uses the key-head slot layout in a tree of offsets-only pages (a format this file predates)'
  }
}
