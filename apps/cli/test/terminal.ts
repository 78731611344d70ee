import { execFile } from 'node:child_process'

/**
 * Runs a shell command on a real terminal — util-linux `script` gives it a pseudo-terminal and
 * copies what it drew to our pipe — with `env` over an environment cleared of CI, NO_COLOR and
 * TINYDB_DIR, so each test decides those itself.
 */
export function onTerminal(shellCommand: string, env: Record<string, string>): Promise<string> {
  const { CI: _ci, NO_COLOR: _noColor, TINYDB_DIR: _dir, ...inherited } = process.env
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', shellCommand, '/dev/null'], { env: { ...inherited, ...env }, encoding: 'utf8', timeout: 60_000 }, (error, stdout) => {
      if (error !== null) reject(new Error(`script (util-linux) failed: ${error.message}`))
      else resolve(stdout)
    })
  })
}
