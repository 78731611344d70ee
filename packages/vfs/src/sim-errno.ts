/** The errno codes SimVfs raises, with the messages Node's fs module uses for them. */
const MESSAGES = {
  EBADF: 'bad file descriptor',
  EEXIST: 'file already exists',
  EINVAL: 'invalid argument',
  EIO: 'i/o error',
  EISDIR: 'illegal operation on a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
} as const

export type SimErrnoCode = keyof typeof MESSAGES

/** An error shaped like the ones node:fs rejects with (`code`, `syscall`, `path`), for `ioError` to wrap. */
export class SimErrnoError extends Error {
  readonly code: SimErrnoCode
  readonly syscall: string
  readonly path: string

  constructor(code: SimErrnoCode, syscall: string, path: string) {
    super(`${code}: ${MESSAGES[code]}, ${syscall} '${path}' (simulated)`)
    this.name = 'SimErrnoError'
    this.code = code
    this.syscall = syscall
    this.path = path
  }
}
