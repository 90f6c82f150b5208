/**
 * Renders a Vega-Lite chart to SVG or PNG without a browser (issue 21): Vega-Lite compiles the
 * chart to a Vega spec, a headless Vega view (renderer "none", no canvas) writes the SVG, and
 * resvg rasterises it for a `.png`. Why these (docs/dependencies.md): Vega-Lite's grammar
 * covers every plot kind here (lines, rules, stacked bars, Gantt bars) in a few lines each, and
 * both run in plain Node 20 (vega-lite 6 needs Node 22; the `canvas` package does not build here).
 * Text is set in DejaVu Sans, the font Debian installs (resvg reads the system's fonts).
 *
 * The three libraries are imported when a plot is drawn, not when the CLI starts: together they
 * are ~30 MB of modules, and start-up is one of issue 14's measures.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { importModule } from '../../machine/import-module.ts';

export const PLOT_FONT = 'DejaVu Sans';
/** PNGs are drawn at twice the SVG's size, for screens with dense pixels. */
const PNG_SCALE = 2;

/** The file types `--out` accepts. */
export const PLOT_EXTENSIONS = ['.svg', '.png'] as const;

export interface RenderedPlot {
  file: string;
  bytes: number;
  /** The image's size in pixels (the SVG's size; a PNG's is PNG_SCALE times it). */
  width: number;
  height: number;
}

/** The house style every chart shares: font, sizes, a white background. */
function styled(spec: TopLevelSpec): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    ...spec,
    config: {
      font: PLOT_FONT,
      title: { fontSize: 14, anchor: 'start' },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 12 },
      ...(spec.config ?? {}),
    },
  } as TopLevelSpec;
}

/** The chart as an SVG document. */
export async function svgOf(spec: TopLevelSpec): Promise<string> {
  const [vl, vega] = await Promise.all([
    importModule<typeof import('vega-lite')>('vega-lite'),
    importModule<typeof import('vega')>('vega'),
  ]);
  const compiled = vl.compile(styled(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The width and height an SVG document declares on its root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1] ?? Number.NaN);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1] ?? Number.NaN);
  return { width, height };
}

/** Writes the chart to `file`: SVG or PNG by its extension (checked by the caller). */
export async function renderPlot(spec: TopLevelSpec, file: string): Promise<RenderedPlot> {
  const svg = await svgOf(spec);
  const size = svgSize(svg);
  if (extname(file).toLowerCase() === '.png') {
    const { Resvg } = await importModule<typeof import('@resvg/resvg-js')>('@resvg/resvg-js');
    const png = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: PNG_SCALE },
      font: { loadSystemFonts: true, defaultFontFamily: PLOT_FONT },
    })
      .render()
      .asPng();
    writeFileSync(file, png);
    return { file, bytes: png.length, width: size.width * PNG_SCALE, height: size.height * PNG_SCALE };
  }
  writeFileSync(file, svg);
  return { file, bytes: Buffer.byteLength(svg), ...size };
}
