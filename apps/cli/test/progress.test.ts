import { describe, expect, it } from 'vitest'
import { progressMode } from '../src/progress.js'

describe('progressMode: who gets a progress bar', () => {
  it('shows a coloured bar on a terminal with a plain environment', () => {
    expect(progressMode({ stderrIsTTY: true, env: {} })).toEqual({ show: true, colour: true })
  })

  it('shows nothing when stderr is not a terminal (piped or redirected)', () => {
    expect(progressMode({ stderrIsTTY: false, env: {} })).toEqual({ show: false })
    expect(progressMode({ stderrIsTTY: false, env: { NO_COLOR: '1' } })).toEqual({ show: false })
  })

  it('shows nothing under CI, even on a terminal', () => {
    for (const ci of ['true', '1', 'github-actions']) {
      expect(progressMode({ stderrIsTTY: true, env: { CI: ci } })).toEqual({ show: false })
    }
  })

  it('treats an empty, 0 or false CI as not CI', () => {
    for (const ci of ['', '0', 'false', 'FALSE']) {
      expect(progressMode({ stderrIsTTY: true, env: { CI: ci } })).toEqual({ show: true, colour: true })
    }
  })

  it('keeps the bar but drops colour under NO_COLOR (set and non-empty)', () => {
    expect(progressMode({ stderrIsTTY: true, env: { NO_COLOR: '1' } })).toEqual({ show: true, colour: false })
    expect(progressMode({ stderrIsTTY: true, env: { NO_COLOR: '' } })).toEqual({ show: true, colour: true })
  })
})
