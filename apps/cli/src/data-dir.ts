import { Option } from 'commander'
import type { Command } from 'commander'

export const DEFAULT_DATA_DIR = './tinydb-data'
export const DATA_DIR_ENV = 'TINYDB_DIR'

/** `--dir DIR`, else `$TINYDB_DIR`, else `./tinydb-data` (commander applies that precedence). */
export function dataDirOption(): Option {
  return new Option('--dir <dir>', 'data directory of the store').env(DATA_DIR_ENV).default(DEFAULT_DATA_DIR)
}

/** The data directory for a subcommand, read from the program's global options. */
export function dataDir(command: Command): string {
  const { dir } = command.optsWithGlobals<{ dir?: unknown }>()
  return typeof dir === 'string' && dir !== '' ? dir : DEFAULT_DATA_DIR
}
