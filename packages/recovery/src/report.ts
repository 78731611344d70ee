/** What opening a store did to bring it back to its last acknowledged state. */
export interface RecoveryReport {
  /** True when the directory held no store and a new one was created. */
  readonly created: boolean
  /** The durable checkpoint recovery started from. */
  readonly checkpointId: number
  readonly checkpointLsn: number
  /** Log records after the checkpoint that were replayed into the tree. */
  readonly recordsReplayed: number
  /** The last LSN in the log (equals checkpointLsn when nothing was replayed). */
  readonly lastLsn: number
  /** Bytes of a torn log tail (a group that was never acknowledged) that were discarded. */
  readonly bytesDiscarded: number
  /** Log segment files found. */
  readonly walSegments: number
  readonly durationMs: number
}

/** One thing the integrity check found wrong, located as precisely as it can be. */
export interface CheckProblem {
  readonly file: string
  readonly pageId?: number
  readonly offset?: number
  readonly what: string
}

/** How far an integrity check has got: the tree's pages, then the log records after the checkpoint. */
export interface CheckProgress {
  readonly phase: 'pages' | 'log'
  readonly done: number
  /** Pages a sound tree reaches (known from the page accounting); undefined for the log until it ends. */
  readonly total: number | undefined
}

export interface CheckReport {
  readonly ok: boolean
  readonly problems: readonly CheckProblem[]
  /** Pages of the data file accounted for (reachable, free or the pager's own). */
  readonly pagesChecked: number
  readonly keys: number
  readonly depth: number
  /** Log records after the checkpoint whose checksums were verified. */
  readonly walRecordsChecked: number
}
