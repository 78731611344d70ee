export { FloorFile } from './floor.js'
export { formatComparisons, formatDuration, ratio } from './ratio.js'
export type { FloorComparison } from './ratio.js'
