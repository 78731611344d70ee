import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seed, tinydb, withTempDir } from './cli.js'

describe('data directory', () => {
  it('is --dir (before or after the command), else $TINYDB_DIR, else ./tinydb-data', () =>
    withTempDir(async (root) => {
      const flagDir = join(root, 'from-flag')
      const envDir = join(root, 'from-env')
      await seed(flagDir, [['k', 'flag']])
      await seed(envDir, [['k', 'env']])
      await seed(join(root, 'tinydb-data'), [['k', 'default']])
      const env = { TINYDB_DIR: envDir }

      expect((await tinydb(['--dir', flagDir, 'get', 'k'], { env })).stdout).toBe('Value: flag\n')
      expect((await tinydb(['get', 'k', '--dir', flagDir], { env })).stdout).toBe('Value: flag\n')
      expect((await tinydb(['get', 'k'], { env, cwd: root })).stdout).toBe('Value: env\n')
      expect((await tinydb(['get', 'k'], { cwd: root })).stdout).toBe('Value: default\n')
    }))
})
