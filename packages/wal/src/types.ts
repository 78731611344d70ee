/** One record of the log: its LSN and the bytes given to `append`. */
export interface WalRecord {
  readonly lsn: number
  /** A view into a buffer holding the record's segment; copy it to keep it past the iteration. */
  readonly payload: Uint8Array
}

/** What `Wal.open` found, for the recovery report. */
export interface WalOpenReport {
  /** Segment files holding records (spare files not counted). */
  readonly segments: number
  /** LSN of the first record in the log; `lastLsn + 1` when the log holds none. */
  readonly firstLsn: number
  /** LSN of the last record in the log; 0 for a new log. */
  readonly lastLsn: number
  /** Bytes of a torn commit group (written, never acknowledged) found after the last record and ignored. */
  readonly discardedTailBytes: number
}
