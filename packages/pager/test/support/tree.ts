import { describeBody, stamp } from '../../src/conformance-support.js'
import type { Pager, PagerMeta } from '../../src/index.js'

/**
 * The structure crash tests keep in a pager: one root page listing child pages and the tag each
 * child's body was stamped with. Everything is copy-on-write, as in a B+tree: a child that is no
 * longer writable is replaced by a fresh copy, and every change writes a new root.
 */
export const ROOT_TYPE = 16
export const CHILD_TYPE = 17

/** child page id -> tag */
export type Children = Map<number, number>

export interface TreeState {
  readonly rootPageId: number
  readonly children: ReadonlyMap<number, number>
}

export function rootCapacity(pager: Pager): number {
  return Math.floor((pager.bodySize - 4) / 8)
}

/** Writes a new root page listing `children`, frees `oldRoot` (if any), returns the new root's id. */
export function writeRoot(pager: Pager, oldRoot: number, children: ReadonlyMap<number, number>): number {
  if (oldRoot !== 0) pager.free(oldRoot)
  const root = pager.allocate(ROOT_TYPE)
  const view = new DataView(root.body.buffer, root.body.byteOffset, root.body.byteLength)
  view.setUint32(0, children.size, true)
  let offset = 4
  for (const [id, tag] of children) {
    view.setUint32(offset, id, true)
    view.setUint32(offset + 4, tag, true)
    offset += 8
  }
  return root.id
}

/** Reads the tree under `rootPageId` from the pager, checking every child's type and body. */
export function readTree(pager: Pager, rootPageId: number): { children: Children; problems: string[] } {
  const children: Children = new Map()
  const problems: string[] = []
  if (rootPageId === 0) return { children, problems }
  const root = pager.read(rootPageId)
  if (root.type !== ROOT_TYPE) problems.push(`root ${rootPageId} has type ${root.type}`)
  const view = new DataView(root.body.buffer, root.body.byteOffset, root.body.byteLength)
  const count = view.getUint32(0, true)
  // The whole list first: reading a child may reuse the root's buffer (see Page.body).
  for (let i = 0; i < count; i++) children.set(view.getUint32(4 + i * 8, true), view.getUint32(8 + i * 8, true))
  for (const [id, tag] of children) {
    const child = pager.read(id)
    const found = `type ${child.type} ${describeBody(child.body)}`
    if (found !== `type ${CHILD_TYPE} tag ${tag}`) problems.push(`child ${id}: expected tag ${tag}, found ${found}`)
  }
  return { children, problems }
}

/**
 * Random copy-on-write changes to `children`: some removed, some rewritten (in place when writable,
 * else copied to a fresh page), some added. Returns the new root (the old one is freed).
 */
export function churn(pager: Pager, rootPageId: number, children: Children, random: () => number, nextTag: () => number): number {
  const limit = rootCapacity(pager)
  for (const [id] of [...children]) {
    const roll = random()
    if (roll < 0.15 || children.size > limit - 20) {
      pager.free(id)
      children.delete(id)
    } else if (roll < 0.4) {
      retag(pager, children, id, nextTag())
    }
  }
  const additions = 1 + Math.floor(random() * 20)
  for (let i = 0; i < additions && children.size < limit; i++) {
    const tag = nextTag()
    children.set(addChild(pager, tag), tag)
  }
  // Pages allocated and dropped before any checkpoint sees them: free at once, maybe past the end of the file.
  for (let i = Math.floor(random() * 3); i > 0; i--) pager.free(pager.allocate(CHILD_TYPE).id)
  return writeRoot(pager, rootPageId, children)
}

/** Adds `count` children, each on a fresh page. */
export function addChildren(pager: Pager, children: Children, count: number, nextTag: () => number): void {
  for (let i = 0; i < count; i++) {
    const tag = nextTag()
    children.set(addChild(pager, tag), tag)
  }
}

/** Gives every child a new tag (see `retag`). */
export function retagAll(pager: Pager, children: Children, nextTag: () => number): void {
  for (const [id] of [...children]) retag(pager, children, id, nextTag())
}

/** Gives child `id` a new tag: in place when writable, else on a fresh copy (the old page freed). */
function retag(pager: Pager, children: Children, id: number, tag: number): void {
  if (pager.isWritable(id)) {
    stamp(pager.read(id).body, tag)
    children.set(id, tag)
  } else {
    pager.free(id)
    children.delete(id)
    children.set(addChild(pager, tag), tag)
  }
}

function addChild(pager: Pager, tag: number): number {
  const page = pager.allocate(CHILD_TYPE)
  stamp(page.body, tag)
  return page.id
}

/** One committed checkpoint: its meta and the children its tree lists. */
export interface CommittedTree {
  readonly meta: PagerMeta
  readonly rootPageId: number
  readonly children: Children
}

/**
 * Ten tagged children under a root, checkpointed at `lsns[0]`; then four of them freed and the root
 * rewritten, checkpointed at `lsns[1]` — so the second checkpoint has a free list.
 */
export async function twoCheckpoints(pager: Pager, lsns: readonly [number, number]): Promise<readonly [CommittedTree, CommittedTree]> {
  const children: Children = new Map()
  for (let tag = 1; tag <= 10; tag++) {
    const page = pager.allocate(CHILD_TYPE)
    stamp(page.body, tag)
    children.set(page.id, tag)
  }
  const firstRoot = writeRoot(pager, 0, children)
  const first = { meta: await pager.beginCheckpoint({ rootPageId: firstRoot, checkpointLsn: lsns[0] }).commit(), rootPageId: firstRoot, children: new Map(children) }
  for (const id of [...children.keys()].slice(0, 4)) {
    pager.free(id)
    children.delete(id)
  }
  const secondRoot = writeRoot(pager, firstRoot, children)
  const second = { meta: await pager.beginCheckpoint({ rootPageId: secondRoot, checkpointLsn: lsns[1] }).commit(), rootPageId: secondRoot, children: new Map(children) }
  return [first, second]
}
