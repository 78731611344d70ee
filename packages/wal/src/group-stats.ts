/**
 * What the log's commit groups have cost since it was opened (`Wal.groupStats`): how well commits
 * shared writes, and how much of their time went to the disk. The counterpart of PostgreSQL's
 * `pg_stat_wal` (`wal_write`, `wal_write_time`) for a log that writes each group once, `O_DSYNC`.
 * Only groups that became durable count; a failed write poisons the log and is not counted.
 */
export interface WalGroupStats {
  /** Groups written: one write each (with durability 'sync', one that returns only once durable). */
  readonly groups: number
  /** Records in those groups: `records / groups` is how many commits shared a write. */
  readonly records: number
  /** Bytes of those groups' frames (segment headers and preallocation not included). */
  readonly bytes: number
  /**
   * Milliseconds the groups' writes took, by the log's clock: from the start of each write to its
   * return (inline) or completion (thread pool, the round trip included), a new segment's start
   * included for the group that starts it. Waiting to be written (behind the group in flight, or
   * for the event loop to turn) is not: the rest of a commit's latency is the caller's and the
   * event loop's.
   */
  readonly writeMs: number
  /** Groups written with a blocking write on the JavaScript thread (`commitWrites`); the rest went through the thread pool. */
  readonly inline: number
}

/** Accumulates `WalGroupStats`. */
export class GroupStatsCounter {
  private groups = 0
  private records = 0
  private bytes = 0
  private writeMs = 0
  private inline = 0

  /** A group of `records` records and `bytes` bytes became durable after a write of `ms` milliseconds. */
  written(records: number, bytes: number, ms: number, inline: boolean): void {
    this.groups++
    this.records += records
    this.bytes += bytes
    this.writeMs += ms
    if (inline) this.inline++
  }

  get snapshot(): WalGroupStats {
    return { groups: this.groups, records: this.records, bytes: this.bytes, writeMs: this.writeMs, inline: this.inline }
  }
}
