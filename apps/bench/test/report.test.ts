import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DOMParser, type Element } from '@xmldom/xmldom'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatTable, METRICS } from '../src/compare/summary.ts'
import { charts } from '../src/report/charts.ts'
import { parseReport, type BenchReport } from '../src/report/results.ts'
import { INDEX_HTML, RESULTS_JSON, RESULTS_MD, writeReport } from '../src/report/write.ts'
import { fixtureReport } from './report-fixture.ts'

// No benchmark runs here: the report writer gets a fixed results object and its files are checked.
let dir: string
let report: BenchReport
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tinydb-report-test-'))
  report = fixtureReport()
  await writeReport(report, join(dir, 'out'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const read = (name: string): Promise<string> => readFile(join(dir, 'out', name), 'utf8')
const STORES = ['tinydb', 'lmdb', 'leveldb', 'sqlite']

/** Parses `text` as XML, failing on any error or warning, and returns its root element. */
function parseXml(text: string): Element {
  const problems: string[] = []
  const document = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(text, 'image/svg+xml')
  expect(problems).toEqual([])
  const root = document.documentElement
  if (root === null) throw new Error('no root element')
  return root
}

function texts(root: Element): string[] {
  return Array.from(root.getElementsByTagName('text'), (node) => node.textContent ?? '')
}

describe('writeReport', () => {
  it('writes results.json, results.md, index.html and one SVG per chart, nothing else', async () => {
    const names = (await readdir(join(dir, 'out'))).sort()
    expect(names).toEqual([INDEX_HTML, 'latency.svg', 'ratio.svg', RESULTS_JSON, RESULTS_MD, 'throughput.svg'].sort())
  })

  it('results.json round-trips to the same object, with its format and version', async () => {
    const text = await read(RESULTS_JSON)
    expect(parseReport(text)).toEqual(report)
    expect(JSON.parse(text)).toMatchObject({ format: 'tinydb-bench-report', version: 1, machine: { cpus: 2, node: 'v20.20.2' } })
  })

  it('refuses a results.json of another format or version instead of misreading it', () => {
    expect(() => parseReport(JSON.stringify({ ...report, version: 2 }))).toThrow(/version 2 is not supported/)
    expect(() => parseReport(JSON.stringify({ medians: {} }))).toThrow(/not a tinydb-bench-report/)
  })

  it('results.md has the compare table exactly as bench:compare prints it, and every store, workload and writer count', async () => {
    const markdown = await read(RESULTS_MD)
    expect(markdown).toContain(formatTable(report.compare, STORES).join('\n'))
    for (const metric of METRICS) expect(markdown, metric.label).toContain(`| ${metric.label} |`)
    for (const store of STORES) expect(markdown, store).toMatch(new RegExp(`^\\| ${store} \\| \\d`, 'm')) // its latency row
    expect(markdown).toContain('| writers | tinydb | lmdb | leveldb | sqlite | floor |')
    for (const writers of report.options.writers) expect(markdown).toMatch(new RegExp(`^\\| ${writers} \\| [\\d,]+ \\|`, 'm'))
    expect(markdown).toContain('| floor | 0.180 | 0.250 | 0.900 | 3.000 | – | – | – | – |')
    expect(markdown).toContain('| 16 | 18,379 | 5,278 | 3,600 | 6,000 | 80,000 |')
    for (const chart of ['latency', 'throughput', 'ratio']) expect(markdown).toContain(`](${chart}.svg)`)
  })

  it('each SVG parses as SVG and names every series it draws', async () => {
    const latency = parseXml(await read('latency.svg'))
    expect(latency.tagName).toBe('svg')
    expect(latency.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg')
    expect(texts(latency)).toEqual(expect.arrayContaining([...STORES, 'floor', 'p50', 'p90', 'p99', 'p99.9', 'W1: 1 writer, each put awaited', 'W2: 64 concurrent writers']))

    const throughput = parseXml(await read('throughput.svg'))
    expect(throughput.tagName).toBe('svg')
    expect(texts(throughput)).toEqual(expect.arrayContaining([...STORES, 'floor', ...report.options.writers.map(String)]))

    const ratio = parseXml(await read('ratio.svg'))
    expect(ratio.tagName).toBe('svg')
    expect(texts(ratio)).toEqual(expect.arrayContaining([...METRICS.map((metric) => metric.label), 'better than the best peer', 'worse than the best peer']))
  })

  it('draws a visible bar for every store and percentile (log-scale bars need a base to start from)', async () => {
    const bars = (await read('latency.svg')).match(/aria-roledescription="bar" d="[^"]*"/g) ?? []
    // 4 stores × 4 percentiles × 2 workloads, and the floor's 4 percentiles of W1.
    expect(bars).toHaveLength(4 * 4 * 2 + 4)
    for (const bar of bars) expect(bar, 'a bar of zero height').not.toMatch(/v0h/)
  })

  it('draws one point per store and writer count, and the floor as its own series', async () => {
    const throughput = await read('throughput.svg')
    // Vega gives each drawn point an aria description naming its store and writer count.
    for (const store of [...STORES, 'floor']) {
      for (const writers of report.options.writers) {
        const point = new RegExp(`aria-label="concurrent writers \\(log\\): ${writers}; [^"]*; store: ${store}" [^>]*aria-roledescription="point"`)
        expect(point.test(throughput), `no point for ${store} × ${writers} writers`).toBe(true)
      }
    }
  })

  it('index.html is static, references every chart and holds every table', async () => {
    const html = await read(INDEX_HTML)
    for (const chart of charts(report)) expect(html).toContain(`<img src="${chart.id}.svg"`)
    for (const id of ['compare', 'latency', 'sweep']) expect(html).toContain(`<table id="${id}">`)
    for (const store of STORES) expect(html).toContain(`<th class="num">${store}</th>`)
    expect(html).toContain('<td>W2 64 writers: ops/s</td>')
    expect(html).not.toMatch(/<script|src="https?:|href="https?:/)
  })

  it('leaves the ratio chart out when no store is compared with the peers', () => {
    const peersOnly = { ...report, stores: report.stores.filter((store) => store.name !== 'tinydb') }
    expect(charts(peersOnly).map((chart) => chart.id)).toEqual(['latency', 'throughput'])
  })
})

// The CLI, run as a program from the build (as compare.test.ts does): routing and path handling only.
const BENCH = fileURLToPath(new URL('../dist/bench.js', import.meta.url))

describe('pnpm bench --report DIR --from results.json', () => {
  it('is built', () => {
    expect(existsSync(BENCH), `${BENCH} missing: run pnpm build`).toBe(true)
  })

  it('redraws a report from an earlier results.json, relative paths taken from $INIT_CWD', async () => {
    await writeFile(join(dir, 'old.json'), JSON.stringify(report))
    const child = spawnSync(process.execPath, [BENCH, '--report', 'redrawn', '--from', 'old.json'], {
      encoding: 'utf8',
      cwd: tmpdir(),
      env: { ...process.env, INIT_CWD: dir },
    })
    expect(child.status, `${child.stdout}${child.stderr}`).toBe(0)
    expect(parseReport(await readFile(join(dir, 'redrawn', RESULTS_JSON), 'utf8'))).toEqual(report)
    expect(existsSync(join(dir, 'redrawn', 'throughput.svg'))).toBe(true)
  })
})
