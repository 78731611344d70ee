/** Everyday operations on a whole store: offline compaction, and backup from a snapshot. */
export { compact, COMPACT_SUFFIX } from './compact.js'
export type { CompactOptions, CompactProgress, CompactReport } from './compact.js'
export { backupSnapshot } from './backup.js'
export type { BackupOptions, BackupProgress, BackupReport, BackupSource } from './backup.js'
