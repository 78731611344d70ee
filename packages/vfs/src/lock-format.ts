/**
 * The lock file NodeVfs keeps next to a store: who holds it. Text, one `key value` pair a line
 * (see the package FORMAT.md):
 *
 *   pid 12345
 *   boot 0d167154-934d-4414-b87b-e425e0c83893
 *   start 48215
 *
 * `boot` (the kernel's boot id) and `start` (the holder's start time, in clock ticks since boot)
 * are written when the platform has /proc; they let a reader tell a live holder from a pid the
 * kernel has since given to an unrelated process, before or after a reboot.
 */
export interface LockOwner {
  readonly pid: number
  readonly bootId?: string
  readonly startTime?: string
}

export const LOCK_KEY_PID = 'pid'
export const LOCK_KEY_BOOT = 'boot'
export const LOCK_KEY_START = 'start'

export function encodeLockOwner(owner: LockOwner): string {
  const lines = [`${LOCK_KEY_PID} ${owner.pid}`]
  if (owner.bootId !== undefined) lines.push(`${LOCK_KEY_BOOT} ${owner.bootId}`)
  if (owner.startTime !== undefined) lines.push(`${LOCK_KEY_START} ${owner.startTime}`)
  return `${lines.join('\n')}\n`
}

/**
 * - `owner`: a lock file naming its holder.
 * - `empty`: no holder recorded. The file is written before it is linked into place, so this only
 *   happens when a power cut kept the link but not the bytes; such a lock is stale.
 * - `foreign`: something else lives at this path; it must not be removed.
 */
export type DecodedLockFile = { readonly kind: 'owner'; readonly owner: LockOwner } | { readonly kind: 'empty' } | { readonly kind: 'foreign' }

export function decodeLockFile(text: string): DecodedLockFile {
  if (/^[\0\s]*$/.test(text)) return { kind: 'empty' }
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const match = /^([a-z]+) (\S+)$/.exec(line)
    if (match === null) return { kind: 'foreign' }
    fields.set(match[1] as string, match[2] as string)
  }
  const pid = Number(fields.get(LOCK_KEY_PID))
  if (!Number.isSafeInteger(pid) || pid <= 0) return { kind: 'foreign' }
  const bootId = fields.get(LOCK_KEY_BOOT)
  const startTime = fields.get(LOCK_KEY_START)
  return {
    kind: 'owner',
    owner: { pid, ...(bootId === undefined ? {} : { bootId }), ...(startTime === undefined ? {} : { startTime }) },
  }
}
