import type { TreeContext } from './context.js'

/**
 * The copy-on-write rule in one place. A page that the last sealed checkpoint may reference must
 * never be written again (invariant 6: a torn write could then destroy the only durable copy), so
 * before the tree modifies a page that is not `isWritable`, it copies it to a fresh page, frees
 * the original (the pager keeps it until a later checkpoint no longer needs it) and returns the
 * copy's id. The caller then points the parent (or the root) at the returned id — which is why a
 * modified page's ancestors are always writable too.
 */
export function writablePageId(context: TreeContext, pageId: number): number {
  const pager = context.pager
  if (pager.isWritable(pageId)) return pageId
  // Read again after the allocate: it may have reused the source's buffer (see Page.body).
  const copy = pager.allocate(context.readNode(pageId).type)
  copy.body.set(pager.read(pageId).body)
  pager.free(pageId)
  return copy.id
}
