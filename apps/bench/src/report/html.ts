import type { Chart } from './charts.js'
import type { BenchReport } from './results.js'
import { describeRun, tables, type Table } from './tables.js'

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

function htmlTable(table: Table): string {
  const cell = (tag: 'th' | 'td', text: string, index: number): string =>
    `<${tag}${table.align[index] === 'right' ? ' class="num"' : ''}>${escapeHtml(text)}</${tag}>`
  return [
    `<table id="${escapeHtml(table.id)}">`,
    `<thead><tr>${table.header.map((text, index) => cell('th', text, index)).join('')}</tr></thead>`,
    '<tbody>',
    ...table.rows.map((row) => `<tr>${row.map((text, index) => cell('td', text, index)).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n')
}

const STYLE = `body{font-family:sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:0.2rem 0.5rem}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0 2rem}
figcaption{max-width:50rem;color:#555;font-size:0.9rem}img{max-width:100%}`

/** index.html: a static page (no script, nothing fetched from the network) showing the charts beside it and the tables. */
export function htmlReport(report: BenchReport, drawn: readonly Chart[]): string {
  const lines = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>TinyDB benchmark report, ${escapeHtml(report.date)}</title>`,
    `<style>\n${STYLE}\n</style>`,
    '</head>',
    '<body>',
    '<h1>TinyDB benchmark report</h1>',
    ...describeRun(report).map((line) => `<p>${escapeHtml(line)}</p>`),
    '<p>All figures: <a href="results.json">results.json</a>; the same tables in Markdown: <a href="results.md">results.md</a>.</p>',
  ]
  for (const chart of drawn) {
    lines.push(
      `<h2>${escapeHtml(chart.title)}</h2>`,
      `<figure><img src="${escapeHtml(chart.id)}.svg" alt="${escapeHtml(chart.title)}">`,
      `<figcaption>${escapeHtml(chart.caption)}</figcaption></figure>`,
    )
  }
  for (const table of tables(report)) lines.push(`<h2>${escapeHtml(table.title)}</h2>`, htmlTable(table))
  lines.push('</body>', '</html>')
  return `${lines.join('\n')}\n`
}
