import type { Chart } from './charts.js'
import type { BenchReport } from './results.js'
import { describeRun, tables, type Table } from './tables.js'

export function markdownTable(table: Table): string[] {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [row(table.header), `|${table.align.map((align) => (align === 'left' ? '---' : '---:')).join('|')}|`, ...table.rows.map(row)]
}

/** results.md: the run's account, the charts (as images beside it) and the tables, in BENCHMARKS.md's style. */
export function markdownReport(report: BenchReport, drawn: readonly Chart[]): string {
  const lines = ['# TinyDB benchmark report', '', ...describeRun(report).flatMap((line) => [line, '']).slice(0, -1), '']
  for (const chart of drawn) lines.push(`## ${chart.title}`, '', `![${chart.title}](${chart.id}.svg)`, '', chart.caption, '')
  for (const table of tables(report)) lines.push(`## ${table.title}`, '', ...markdownTable(table), '')
  return `${lines.join('\n').trimEnd()}\n`
}
