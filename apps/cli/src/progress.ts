import { SingleBar } from 'cli-progress'

/**
 * Whether a long command shows a progress bar, and in colour. One decision for every command:
 * - no bar unless stderr is a terminal (a bar in a log file or a pipe is noise);
 * - no bar under `CI` (set to anything but '', '0' or 'false'): CI logs are captured, even on a pty;
 * - `NO_COLOR` (set and non-empty, see no-color.org) removes colour only — the bar stays.
 * The bar always goes to stderr, so stdout stays data.
 */
export type ProgressMode = { readonly show: false } | { readonly show: true; readonly colour: boolean }

export interface ProgressEnvironment {
  readonly stderrIsTTY: boolean
  readonly env: Readonly<Record<string, string | undefined>>
}

export function progressMode({ stderrIsTTY, env }: ProgressEnvironment): ProgressMode {
  if (!stderrIsTTY) return { show: false }
  const ci = env['CI']
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return { show: false }
  const noColor = env['NO_COLOR']
  return { show: true, colour: noColor === undefined || noColor === '' }
}

/** The mode of this process. */
export function currentProgressMode(): ProgressMode {
  return progressMode({ stderrIsTTY: process.stderr.isTTY === true, env: process.env })
}

/** A progress display; every method is a no-op when the mode says no bar. */
export interface Progress {
  /** `value` out of the total given at start (or a running count when there is none). */
  update(value: number, payload?: Readonly<Record<string, string | number>>): void
  /** Final update and the bar's line finished, so later stderr lines start on their own line. */
  stop(): void
}

export interface ProgressSpec {
  /** What is being done, e.g. `load`. */
  readonly label: string
  /** The total `value` will reach; undefined when unknown (then a counter is shown, not a bar). */
  readonly total: number | undefined
  /** Text after the value, with `{name}` placeholders filled from the update payload. */
  readonly detail: string
  /** Values for the placeholders of `detail` before the first update. */
  readonly payload?: Readonly<Record<string, string | number>>
}

const CYAN = '\u001b[36m'
const RESET = '\u001b[0m'

export function startProgress(spec: ProgressSpec, mode: ProgressMode = currentProgressMode()): Progress {
  if (!mode.show) return { update: () => undefined, stop: () => undefined }
  const paint = (text: string): string => (mode.colour ? `${CYAN}${text}${RESET}` : text)
  const format =
    spec.total === undefined
      ? `${spec.label} ${paint('{value}')} ${spec.detail}`
      : `${spec.label} ${paint('{bar}')} {percentage}% | ${spec.detail} | eta {eta_formatted}`
  // hideCursor null and linewrap true: leave the terminal's settings alone, so a process that ends
  // without stop() (EPIPE, Ctrl-C) does not leave the cursor hidden or line wrapping off.
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: null, linewrap: true, etaBuffer: 50 })
  bar.start(spec.total ?? 0, 0, spec.payload === undefined ? undefined : { ...spec.payload })
  return {
    update: (value, payload) => bar.update(value, payload === undefined ? undefined : { ...payload }),
    stop: () => bar.stop(),
  }
}
