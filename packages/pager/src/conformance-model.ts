import { FIRST_USER_PAGE_TYPE } from './pager.js'
import type { PageRetention, Pager, PagerMeta } from './pager.js'
import { describeBody, partitionProblems, prng, stamp, yieldMicrotasks } from './conformance-support.js'
import type { ConformanceTest, PagerFactory } from './conformance-support.js'

interface Content {
  readonly tag: number
  readonly type: number
}

interface InFlight {
  readonly checkpointId: number
  readonly expected: PagerMeta
  readonly live: ReadonlyMap<number, Content>
  readonly releasedAtCommit: ReadonlySet<number>
  readonly commit: () => Promise<PagerMeta>
  promise: Promise<PagerMeta> | undefined
}

/** A live retention and the pages (with their contents) it must keep reading as they were. */
interface Retained {
  readonly retention: PageRetention
  readonly generation: number
  readonly live: ReadonlyMap<number, Content>
}

/**
 * A seeded random workload run against a model of the contract: the caller's structure is the set
 * of live pages with known contents, updated copy-on-write the way a B+tree would. Checkpoints
 * interleave with the work (the commit runs while pages are allocated, modified and freed), and
 * reopens check that exactly the last committed checkpoint comes back. Retentions are taken and
 * released at random: each must keep reading the pages it saw, unchanged, and freeze them.
 */
export async function runModelWorkload(t: ConformanceTest, factory: PagerFactory, seed: number, steps: number): Promise<void> {
  const { expect } = t
  console.log(`${factory.name} model workload seed`, seed)
  const random = prng(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  let pager: Pager = await factory.create({ pageSize: 512 })
  let live = new Map<number, Content>()
  let writable = new Set<number>()
  let pendingNow = new Set<number>()
  let durable: { meta: PagerMeta; live: ReadonlyMap<number, Content> } = { meta: pager.meta, live: new Map() }
  let inFlight: InFlight | undefined
  let nextTag = 1
  let lsn = 0
  // Retention generations: a page allocated before the newest live retention is frozen.
  let retained: Retained[] = []
  let generation = 0
  let allocatedIn = new Map<number, number>()
  const frozenBelow = (): number => retained.at(-1)?.generation ?? 0
  const writableNow = (id: number): boolean => writable.has(id) && allocatedIn.get(id)! >= frozenBelow()

  // A page the pager must not hand out now: in use, or freed but still referenced by a checkpoint.
  const mustNotReuse = (id: number): string | undefined => {
    if (id < 2) return 'a meta page'
    if (live.has(id)) return 'live'
    if (retained.some((r) => r.live.has(id))) return 'readable by a live retention'
    if (pendingNow.has(id)) return 'freed after the last seal'
    if (inFlight !== undefined && inFlight.releasedAtCommit.has(id) && pager.meta.checkpointId < inFlight.checkpointId) {
      return 'freed before a seal whose checkpoint is not durable yet'
    }
    return undefined
  }

  const allocate = (): number => {
    const type = FIRST_USER_PAGE_TYPE + Math.floor(random() * 200)
    const page = pager.allocate(type)
    expect(`allocate returned page ${page.id}: ${mustNotReuse(page.id) ?? 'ok'}`).toBe(`allocate returned page ${page.id}: ok`)
    expect(describeBody(page.body)).toBe('zeros')
    expect(pager.isWritable(page.id)).toBe(true)
    const tag = nextTag++
    stamp(page.body, tag)
    live.set(page.id, { tag, type })
    writable.add(page.id)
    allocatedIn.set(page.id, generation)
    return page.id
  }

  const release = (id: number): void => {
    pager.free(id)
    live.delete(id)
    if (!writable.delete(id)) pendingNow.add(id)
  }

  const verifyLive = (ids: Iterable<number>, contents: ReadonlyMap<number, Content> = live): void => {
    const problems: string[] = []
    for (const id of ids) {
      const content = contents.get(id)!
      const page = pager.read(id)
      const found = `page ${page.id} type ${page.type} ${describeBody(page.body)}`
      const expected = `page ${id} type ${content.type} tag ${content.tag}`
      if (found !== expected) problems.push(`expected ${expected}, found ${found}`)
    }
    expect(problems.slice(0, 10)).toEqual([])
  }

  const finishCheckpoint = async (): Promise<void> => {
    if (inFlight === undefined) return
    const meta = await (inFlight.promise ?? inFlight.commit())
    expect(meta).toEqual(inFlight.expected)
    expect(pager.meta).toEqual(inFlight.expected)
    durable = { meta, live: inFlight.live }
    inFlight = undefined
  }

  const reopen = async (): Promise<void> => {
    await finishCheckpoint()
    pager = await factory.reopen(pager)
    expect(pager.meta).toEqual(durable.meta)
    live = new Map(durable.live)
    writable = new Set()
    pendingNow = new Set()
    retained = []
    allocatedIn = new Map()
    verifyLive(live.keys())
  }

  const retentionStep = (): void => {
    const roll = random()
    if (roll < 0.35 || retained.length === 0) {
      const retention = pager.retain()
      retained.push({ retention, generation: ++generation, live: new Map(live) })
      for (const id of live.keys()) expect(`isWritable(${id}) after retain = ${pager.isWritable(id)}`).toBe(`isWritable(${id}) after retain = false`)
    } else if (roll < 0.7) {
      const index = Math.floor(random() * retained.length)
      const [released] = retained.splice(index, 1)
      released!.retention.release()
      for (const id of live.keys()) {
        expect(`isWritable(${id}) after a release = ${pager.isWritable(id)}`).toBe(`isWritable(${id}) after a release = ${writableNow(id)}`)
      }
    } else {
      const view = pick(retained)
      verifyLive([...view.live.keys()].slice(0, 40), view.live)
    }
  }

  const checkAccounting = (): void => {
    expect(partitionProblems(pager, live.keys())).toEqual([])
    if (retained.length === 0) expect(pager.accounting().retained).toEqual([])
    const pending = new Set(pendingNow)
    if (inFlight !== undefined && pager.meta.checkpointId < inFlight.checkpointId) for (const id of inFlight.releasedAtCommit) pending.add(id)
    expect([...pager.accounting().pendingFree].sort((a, b) => a - b)).toEqual([...pending].sort((a, b) => a - b))
  }

  for (let step = 0; step < steps; step++) {
    if (random() < 0.08) retentionStep()
    const roll = random()
    const ids = [...live.keys()]
    if (roll < 0.3 || ids.length === 0) {
      allocate()
    } else if (roll < 0.55) {
      // Update: in place when writable, otherwise copy-on-write to a fresh page.
      const id = pick(ids)
      expect(`isWritable(${id}) = ${pager.isWritable(id)}`).toBe(`isWritable(${id}) = ${writableNow(id)}`)
      if (writableNow(id)) {
        const tag = nextTag++
        stamp(pager.read(id).body, tag)
        live.set(id, { tag, type: live.get(id)!.type })
      } else {
        allocate()
        release(id)
      }
    } else if (roll < 0.68) {
      release(pick(ids))
    } else if (roll < 0.76) {
      verifyLive(ids.slice(0, 20))
    } else if (roll < 0.84) {
      if (inFlight === undefined) {
        const rootPageId = random() < 0.2 ? 0 : pick(ids)
        lsn += 1 + Math.floor(random() * 100)
        const pending = pager.beginCheckpoint({ rootPageId, checkpointLsn: lsn })
        const checkpointId = durable.meta.checkpointId + 1
        inFlight = {
          checkpointId,
          expected: { checkpointId, checkpointLsn: lsn, rootPageId, pageCount: pager.accounting().pageCount },
          live: new Map(live),
          releasedAtCommit: pendingNow,
          commit: () => pending.commit(),
          promise: undefined,
        }
        // Half the time the commit starts at once and runs under the work that follows.
        if (random() < 0.5) inFlight.promise = pending.commit()
        for (const id of writable) expect(`isWritable(${id}) after the seal = ${pager.isWritable(id)}`).toBe(`isWritable(${id}) after the seal = false`)
        writable = new Set()
        pendingNow = new Set()
      } else {
        await finishCheckpoint()
      }
    } else if (roll < 0.9) {
      await finishCheckpoint()
    } else if (roll < 0.93) {
      await reopen()
      checkAccounting()
    } else {
      checkAccounting()
    }
    if (inFlight?.promise !== undefined) await yieldMicrotasks(Math.floor(random() * 4))
  }
  await finishCheckpoint()
  checkAccounting()
  verifyLive(live.keys())
  for (const view of retained) verifyLive(view.live.keys(), view.live)
  await reopen()
  checkAccounting()
  await pager.close()
}
