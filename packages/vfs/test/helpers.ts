import type { Vfs, VfsFile } from '../src/index.js'

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (data: Uint8Array): string => new TextDecoder().decode(data)

/** Writes `content` at 0 (creating the file); syncs when asked; returns the open handle. */
export async function put(vfs: Vfs, path: string, content: string, options: { sync?: boolean } = {}): Promise<VfsFile> {
  const file = await vfs.open(path, { create: true })
  await file.write(bytes(content), 0)
  if (options.sync === true) await file.sync()
  return file
}

/** The whole file as text, through a fresh handle. */
export async function slurp(vfs: Vfs, path: string): Promise<string> {
  const file = await vfs.open(path)
  const buffer = new Uint8Array(await file.size())
  file.readSync(buffer, 0)
  await file.close()
  return text(buffer)
}

/** The error `action` throws (or rejects with); fails the test when it does not throw. */
export async function caught(action: () => unknown): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, none was thrown')
}
