import { ObservedVfs, type Vfs } from '@tinydb/vfs'

/** One I/O call a file received, in the order received. */
export type FileCall =
  | { readonly op: 'write'; readonly position: number; readonly length: number }
  | { readonly op: 'truncate'; readonly size: number }
  | { readonly op: 'sync' }

/** Wraps a Vfs and records the writes, truncates and syncs each file receives. */
export class RecordingVfs extends ObservedVfs {
  readonly calls: FileCall[] = []

  constructor(inner: Vfs) {
    super(inner, (event) => {
      if (event.op === 'write') this.calls.push({ op: 'write', position: event.position, length: event.length })
      else if (event.op === 'truncate') this.calls.push({ op: 'truncate', size: event.size })
      else if (event.op === 'sync') this.calls.push({ op: 'sync' })
    })
  }
}
