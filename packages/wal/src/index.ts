export { TinyDbError } from '@tinydb/vfs'
export { Wal } from './wal.js'
export type { WalOptions } from './options.js'
export type { WalOpenReport, WalRecord } from './types.js'
