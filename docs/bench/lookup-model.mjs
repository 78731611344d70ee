// A model of a TinyDB random get's memory touches, with none of the pager's or the engine's own
// work: does a B+tree of 4 KiB slotted pages, searched in JavaScript, read half as fast at 10 M
// keys as at 100k (issue 3, goal 3)? And do 4-byte key heads in the slot array change that?
//
// It builds the tree the way scale leaves it — 16-byte random keys, 128-byte values, leaves ~70 %
// full, cells in random order within a page (as random inserts leave them), short separators (the
// first 4 key bytes, as suffix truncation gives at this size) — in 256 KiB SharedArrayBuffer
// slabs like the pager's, finds each page through a plain array of views by page id (no cache
// table, no entry object, no header check), and times 200,000 random lookups that copy the value
// out, fastest of 5 passes. Each variant must run in its own process: sharing the search functions
// between variants pollutes V8's type feedback and skews the comparison.
//
// usage (from the repository root): node docs/bench/lookup-model.mjs <keys> <plain|heads>
// e.g. for v in plain heads; do for n in 100000 10000000; do node --max-old-space-size=16000 docs/bench/lookup-model.mjs $n $v; done; done
import { performance } from 'node:perf_hooks'
const KEYS = Number(process.argv[2])
const VARIANT = process.argv[3]
if (!(KEYS > 0) || (VARIANT !== 'plain' && VARIANT !== 'heads')) {
  console.error('usage: node docs/bench/lookup-model.mjs <keys> <plain|heads>')
  process.exit(2)
}
const HEADS = VARIANT === 'heads'
const PAGE = 4096
const SLOT = HEADS ? 6 : 2
const LEAF_HDR = 8
const BRANCH_HDR = 12
const LEAF_FILL = 0.7
let seed = 12345
const rand = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296 }
// keys: random 16 bytes, sorted
const keyBytes = new Uint8Array(KEYS * 16)
for (let i = 0; i < keyBytes.length; i += 4) { const v = (rand() * 4294967296) >>> 0; keyBytes[i] = v >>> 24; keyBytes[i + 1] = v >>> 16; keyBytes[i + 2] = v >>> 8; keyBytes[i + 3] = v }
const order = Array.from({ length: KEYS }, (_, i) => i)
const cmpAt = (a, b) => { for (let j = 0; j < 16; j++) { const d = keyBytes[a * 16 + j] - keyBytes[b * 16 + j]; if (d) return d } return 0 }
order.sort(cmpAt)
const pages = []
let slab, used = Infinity
function newPage() { if (used + PAGE > 262144) { slab = new SharedArrayBuffer(262144); used = 0 } const v = new Uint8Array(slab, used, PAGE); used += PAGE; pages.push(v); return pages.length - 1 }
const head32 = (b, o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
// write a slotted page: cells given in key order, placed in random order in the cell area
function writePage(id, hdr, cells) {
  const b = pages[id]
  const n = cells.length
  b[0] = n & 255; b[1] = n >>> 8
  const placement = cells.map((_, i) => i).sort(() => rand() - 0.5)
  let end = PAGE
  const offsets = new Array(n)
  for (const i of placement) { end -= cells[i].length; b.set(cells[i], end); offsets[i] = end }
  b[2] = end & 255; b[3] = end >>> 8
  for (let i = 0; i < n; i++) {
    const s = hdr + i * SLOT
    b[s] = offsets[i] & 255; b[s + 1] = offsets[i] >>> 8
    if (HEADS) { const k = cells[i].keyAt; b[s + 2] = k[0]; b[s + 3] = k[1]; b[s + 4] = k[2]; b[s + 5] = k[3] }
  }
}
// leaves
const perLeaf = Math.floor(((PAGE - LEAF_HDR) * LEAF_FILL) / (151 + SLOT))
const leafIds = [], leafFirst = []
for (let at = 0; at < KEYS; at += perLeaf) {
  const id = newPage()
  const cells = []
  for (let i = at; i < Math.min(KEYS, at + perLeaf); i++) {
    const c = new Uint8Array(151); c[0] = 16; c[3] = 128
    c.set(keyBytes.subarray(order[i] * 16, order[i] * 16 + 16), 7)
    for (let j = 0; j < 128; j++) c[23 + j] = (i + j) & 255
    c.keyAt = c.subarray(7, 11)
    cells.push(c)
  }
  writePage(id, LEAF_HDR, cells)

  leafIds.push(id); leafFirst.push(order[at])
}
// branches, bottom up: separators = first 4 bytes of the child's first key (short, like suffix truncation)
let level = leafIds.map((id, i) => ({ id, first: leafFirst[i] }))
const perBranch = Math.floor(((PAGE - BRANCH_HDR) * 0.7) / (10 + SLOT))
let depth = 1
while (level.length > 1) {
  const up = []
  for (let at = 0; at < level.length; at += perBranch) {
    const id = newPage()
    const group = level.slice(at, at + perBranch)
    const b = pages[id]
    const left = group[0].id
    b[8] = left & 255; b[9] = (left >>> 8) & 255; b[10] = (left >>> 16) & 255; b[11] = left >>> 24
    const cells = group.slice(1).map((g) => {
      const c = new Uint8Array(10); c[0] = 4
      c[2] = g.id & 255; c[3] = (g.id >>> 8) & 255; c[4] = (g.id >>> 16) & 255; c[5] = g.id >>> 24
      c.set(keyBytes.subarray(g.first * 16, g.first * 16 + 4), 6)
      c.keyAt = c.subarray(6, 10)
      return c
    })
    writePage(id, BRANCH_HDR, cells)
    up.push({ id, first: group[0].first })
  }
  level = up
  depth++
}
const root = level[0].id
const isLeaf = new Uint8Array(pages.length); for (const id of leafIds) isLeaf[id] = 1
const views = pages // JS array of views by page id, as the pager's cache hands them out
// compares key (16 bytes at k) with the keyLength bytes at o in b
function cmp(key, b, o, n) { const m = n < 16 ? n : 16; for (let i = 0; i < m; i++) { const d = key[i] - b[o + i]; if (d) return d } return 16 - n }
function branchIndexPlain(b, key) {
  let lo = 0, hi = b[0] | (b[1] << 8)
  while (lo < hi) { const mid = (lo + hi) >>> 1; const s = BRANCH_HDR + mid * 2; const o = b[s] | (b[s + 1] << 8); if (cmp(key, b, o + 6, b[o] | (b[o + 1] << 8)) >= 0) lo = mid + 1; else hi = mid }
  return lo
}
function branchIndexHeads(b, key, kh) {
  let lo = 0, hi = b[0] | (b[1] << 8)
  while (lo < hi) {
    const mid = (lo + hi) >>> 1; const s = BRANCH_HDR + mid * 6
    const h = ((b[s + 2] << 24) | (b[s + 3] << 16) | (b[s + 4] << 8) | b[s + 5]) >>> 0
    let c = kh > h ? 1 : kh < h ? -1 : 0
    if (c === 0) { const o = b[s] | (b[s + 1] << 8); c = cmp(key, b, o + 6, b[o] | (b[o + 1] << 8)) }
    if (c >= 0) lo = mid + 1; else hi = mid
  }
  return lo
}
function childAt(b, i) {
  if (i === 0) return b[8] | (b[9] << 8) | (b[10] << 16) | (b[11] << 24)
  const s = BRANCH_HDR + (i - 1) * SLOT; const o = b[s] | (b[s + 1] << 8)
  return b[o + 2] | (b[o + 3] << 8) | (b[o + 4] << 16) | (b[o + 5] << 24)
}
function leafFindPlain(b, key) {
  let lo = 0, hi = (b[0] | (b[1] << 8)) - 1
  while (lo <= hi) { const mid = (lo + hi) >>> 1; const s = LEAF_HDR + mid * 2; const o = b[s] | (b[s + 1] << 8); const c = cmp(key, b, o + 7, b[o] | (b[o + 1] << 8)); if (c > 0) lo = mid + 1; else if (c < 0) hi = mid - 1; else return o }
  return -1
}
function leafFindHeads(b, key, kh) {
  let lo = 0, hi = (b[0] | (b[1] << 8)) - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1; const s = LEAF_HDR + mid * 6
    const h = ((b[s + 2] << 24) | (b[s + 3] << 16) | (b[s + 4] << 8) | b[s + 5]) >>> 0
    let c = kh > h ? 1 : kh < h ? -1 : 0
    let o = -1
    if (c === 0) { o = b[s] | (b[s + 1] << 8); c = cmp(key, b, o + 7, b[o] | (b[o + 1] << 8)) }
    if (c > 0) lo = mid + 1; else if (c < 0) hi = mid - 1; else return o
  }
  return -1
}
const out = new Uint8Array(128)
function get(key) {
  const kh = HEADS ? head32(key, 0) : 0
  let id = root
  for (;;) {
    const b = views[id]
    if (isLeaf[id] === 1) {
      const o = HEADS ? leafFindHeads(b, key, kh) : leafFindPlain(b, key)
      if (o < 0) return -1
      out.set(b.subarray(o + 23, o + 151))
      return out[0]
    }
    id = childAt(b, HEADS ? branchIndexHeads(b, key, kh) : branchIndexPlain(b, key))
  }
}
const LOOKUPS = 200000
const probe = []
for (let i = 0; i < LOOKUPS; i++) { const k = Math.floor(rand() * KEYS); probe.push(keyBytes.slice(k * 16, k * 16 + 16)) }
for (const k of probe.slice(0, 1000)) if (get(k) < 0) throw new Error('missing key: the model is wrong')
let best = Infinity
for (let r = 0; r < 5; r++) { const t = performance.now(); let x = 0; for (let i = 0; i < LOOKUPS; i++) x += get(probe[i]); best = Math.min(best, performance.now() - t); if (x < 0) console.log(x) }
console.log(`${VARIANT} ${KEYS} keys, depth ${depth}, ${pages.length} pages, ${perLeaf}/leaf, ${perBranch}/branch: ${(best * 1e6 / LOOKUPS).toFixed(0)} ns a lookup`)
