/**
 * `pnpm bench`: the mitata micro benchmarks (micro/main.ts), or with `--report DIR` the full report
 * (report/main.ts: compare W1–W6, the concurrency sweep, charts). Each reads its own options.
 */
const wantsReport = process.argv.slice(2).some((arg) => arg === '--report' || arg.startsWith('--report='))
await import(wantsReport ? './report/main.js' : './micro/main.js')
