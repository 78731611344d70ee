export { TinyDbError, corruption, ioError } from './errors.js'
export type { TinyDbErrorCode, TinyDbErrorOptions, CorruptionSite } from './errors.js'
export type { Vfs, VfsFile, VfsLock, OpenOptions } from './vfs.js'
export { NodeVfs } from './node-vfs.js'
