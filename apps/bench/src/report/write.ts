import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { charts } from './charts.js'
import { htmlReport } from './html.js'
import { markdownReport } from './markdown.js'
import { renderSvg } from './render.js'
import type { BenchReport } from './results.js'

/** The files a report directory holds, besides one `<chart id>.svg` per chart. */
export const RESULTS_JSON = 'results.json'
export const RESULTS_MD = 'results.md'
export const INDEX_HTML = 'index.html'

/**
 * Writes the report of `report` into `dir` (created if missing): results.json, results.md, one SVG
 * per chart and index.html. Pure function of `report`: rerunning it on an old results.json redraws
 * the same files. Returns the paths written.
 */
export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const drawn = charts(report)
  const files: [string, string][] = [[RESULTS_JSON, `${JSON.stringify(report, null, 2)}\n`]]
  for (const chart of drawn) files.push([`${chart.id}.svg`, `${await renderSvg(chart.spec)}\n`])
  files.push([RESULTS_MD, markdownReport(report, drawn)], [INDEX_HTML, htmlReport(report, drawn)])
  const written: string[] = []
  for (const [name, text] of files) {
    const path = join(dir, name)
    await writeFile(path, text)
    written.push(path)
  }
  return written
}
