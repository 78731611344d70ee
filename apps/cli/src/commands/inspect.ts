import { Command } from 'commander'
import { inspectMetaCommand } from './inspect-meta.js'
import { inspectPageCommand } from './inspect-page.js'
import { inspectTreeCommand } from './inspect-tree.js'
import { inspectWalCommand } from './inspect-wal.js'

/**
 * `tinydb inspect …`: read-only views of the bytes on disk, for learners and for debugging. Every
 * subcommand reads the files through the Vfs under the directory lock, without opening the engine,
 * so it never changes the store (see read-only-store.ts).
 */
export function inspectCommand(): Command {
  const inspect = new Command('inspect').description('show the internals of a store: meta pages, log records, pages, the tree (read-only)')
  for (const sub of [inspectMetaCommand(), inspectWalCommand(), inspectPageCommand(), inspectTreeCommand()]) inspect.addCommand(sub)
  return inspect
}
