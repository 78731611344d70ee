import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

/**
 * A Vega-Lite spec as a standalone SVG document. Vega's headless view (`renderer: 'none'`) draws
 * the scenegraph to SVG text without a canvas or a browser; text widths are estimated, not measured.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
