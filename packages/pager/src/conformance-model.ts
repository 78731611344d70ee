import { FIRST_USER_PAGE_TYPE } from './pager.js'
import type { PageRetention, Pager, PagerMeta } from './pager.js'
import { describeBody, partitionProblems, prng, stamp, yieldMicrotasks } from './conformance-support.js'
import type { ConformanceTest, PagerFactory } from './conformance-support.js'

interface Content {
  readonly tag: number
  readonly type: number
}

/** A sealed checkpoint not known to be durable yet; a fold updates it in place. */
interface InFlight {
  readonly checkpointId: number
  expected: PagerMeta
  live: ReadonlyMap<number, Content>
  /** Freed before the seal while an earlier checkpoint referenced them. */
  readonly releasedAtCommit: Set<number>
  /** The pages it writes: writable at its seal (or at a seal folded into it). */
  readonly sealedPages: Set<number>
  commit: () => Promise<PagerMeta>
  promise: Promise<PagerMeta> | undefined
}

/** Seals allowed in flight at once by the workload (a pager may fold some of them). */
const MAX_IN_FLIGHT = 3

/** A live retention and the pages (with their contents) it must keep reading as they were. */
interface Retained {
  readonly retention: PageRetention
  readonly generation: number
  readonly live: ReadonlyMap<number, Content>
}

/**
 * A seeded random workload run against a model of the contract: the caller's structure is the set
 * of live pages with known contents, updated copy-on-write the way a B+tree would. Checkpoints
 * interleave with the work (the commit runs while pages are allocated, modified and freed), up to
 * three sealed at once (queued, or folded by the pager into the newest), and reopens check that
 * exactly the last committed checkpoint comes back. Retentions are taken and
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
  let inFlight: InFlight[] = []
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
    if (inFlight.some((sealed) => sealed.releasedAtCommit.has(id) && pager.meta.checkpointId < sealed.checkpointId)) {
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

  /** Awaits the commit of the newest seal in flight: every one before it is durable too. */
  const finishCheckpoint = async (): Promise<void> => {
    const newest = inFlight.at(-1)
    if (newest === undefined) return
    await settle(newest, await (newest.promise ?? newest.commit()))
  }

  /** `meta` came from the commit of `sealed`: it is its checkpoint's, or a later one's that holds it. */
  const settle = async (sealed: InFlight, meta: PagerMeta): Promise<void> => {
    // Already followed: a later commit settled first, taking this one with it.
    if (meta.checkpointId <= durable.meta.checkpointId) return
    const index = inFlight.findIndex((candidate) => candidate.checkpointId === meta.checkpointId)
    if (index < 0) {
      expect(`commit of checkpoint ${sealed.checkpointId} resolved with ${JSON.stringify(meta)}`).toBe(`a checkpoint in flight`)
      return
    }
    const durableNow = inFlight[index]!
    expect(meta.checkpointId >= sealed.checkpointId).toBe(true)
    expect(meta).toEqual(durableNow.expected)
    expect(pager.meta.checkpointId >= meta.checkpointId).toBe(true)
    durable = { meta, live: durableNow.live }
    inFlight = inFlight.slice(index + 1)
  }

  const seal = (): void => {
    const rootPageId = random() < 0.2 ? 0 : pick([...live.keys()])
    lsn += 1 + Math.floor(random() * 100)
    const pending = pager.beginCheckpoint({ rootPageId, checkpointLsn: lsn })
    const newest = inFlight.at(-1)
    const expectedId = (newest?.checkpointId ?? durable.meta.checkpointId) + 1
    const expected = { checkpointId: pending.checkpointId, checkpointLsn: lsn, rootPageId, pageCount: pager.accounting().pageCount }
    if (newest !== undefined && pending.checkpointId === newest.checkpointId) {
      // Folded: the newest seal now holds everything up to here. Its own pages freed since were
      // never written, so they are free at once; the rest of what was freed it releases at commit.
      for (const id of pendingNow) {
        if (newest.sealedPages.has(id)) newest.sealedPages.delete(id)
        else newest.releasedAtCommit.add(id)
      }
      for (const id of writable) newest.sealedPages.add(id)
      newest.expected = expected
      newest.live = new Map(live)
      newest.commit = () => pending.commit()
    } else {
      expect(`seal after ${newest?.checkpointId ?? durable.meta.checkpointId} got id ${pending.checkpointId}`).toBe(
        `seal after ${newest?.checkpointId ?? durable.meta.checkpointId} got id ${expectedId}`,
      )
      const sealed: InFlight = {
        checkpointId: pending.checkpointId,
        expected,
        live: new Map(live),
        releasedAtCommit: pendingNow,
        sealedPages: writable,
        commit: () => pending.commit(),
        promise: undefined,
      }
      inFlight.push(sealed)
      // Half the time the commit starts at once and runs under the work that follows.
      if (random() < 0.5) {
        sealed.promise = pending.commit()
        // Observed when it settles, so the model follows commits that complete on their own.
        sealed.promise.then(
          (meta) => settle(sealed, meta),
          () => undefined,
        )
      }
    }
    for (const id of writable) expect(`isWritable(${id}) after the seal = ${pager.isWritable(id)}`).toBe(`isWritable(${id}) after the seal = false`)
    writable = new Set()
    pendingNow = new Set()
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
    for (const sealed of inFlight) if (pager.meta.checkpointId < sealed.checkpointId) for (const id of sealed.releasedAtCommit) pending.add(id)
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
      if (inFlight.length < MAX_IN_FLIGHT && ids.length > 0) seal()
      else await finishCheckpoint()
    } else if (roll < 0.9) {
      await finishCheckpoint()
    } else if (roll < 0.93) {
      await reopen()
      checkAccounting()
    } else {
      checkAccounting()
    }
    if (inFlight.some((sealed) => sealed.promise !== undefined)) await yieldMicrotasks(Math.floor(random() * 4))
  }
  await finishCheckpoint()
  checkAccounting()
  verifyLive(live.keys())
  for (const view of retained) verifyLive(view.live.keys(), view.live)
  await reopen()
  checkAccounting()
  await pager.close()
}
