import uPlot from "uplot";

export interface Series { label: string; values: (number | null)[]; color?: string; dash?: boolean }

const palette = ["#2456c7", "#c0392b", "#1f8a4c", "#b7791f", "#7b3fb5", "#0e8a8a"];

/**
 * A line chart over x (unix seconds when time is true); each series may be a threshold drawn dashed. What it plots is
 * kept on the element as JSON, exactly as given (data-x, and data-series: each series' label and values), so a test or
 * a curious operator can read the figures behind the lines and compare them with the API's answer.
 */
export function lineChart(title: string, x: number[], series: Series[], opts: { time?: boolean; width?: number; height?: number; yLabel?: string } = {}): HTMLElement {
  const el = document.createElement("div");
  el.className = "chart";
  el.dataset.chart = title;
  if (!x.length) {
    el.textContent = `${title}: no data yet`;
    el.classList.add("muted");
    return el;
  }
  el.dataset.x = JSON.stringify(x);
  el.dataset.series = JSON.stringify(series.map(s => ({ label: s.label, values: s.values })));
  const plot = new uPlot({
    title,
    width: opts.width ?? 520,
    height: opts.height ?? 220,
    // One point alone would stretch the axis over years: give it a minute (or one unit) either side.
    scales: { x: { time: opts.time ?? true, ...(x.length === 1 ? { range: [x[0] - ((opts.time ?? true) ? 60 : 1), x[0] + ((opts.time ?? true) ? 60 : 1)] as [number, number] } : {}) } },
    axes: [{}, { label: opts.yLabel }],
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.color ?? palette[i % palette.length], width: s.dash ? 1 : 2, dash: s.dash ? [6, 4] : undefined, points: { show: x.length < 40 } }))],
  }, [x, ...series.map(s => s.values)] as any, el);
  void plot;
  return el;
}

/** value: the figure the label states (a ROC curve's AUROC), kept unrounded in data-series beside the points. */
export interface XySeries { label: string; points: [number, number][]; value?: number | string; color?: string; dash?: boolean; dots?: boolean }

/**
 * A chart of (x, y) curves on the unit square whose series have points at different x (two runs' ROC curves, their
 * reliability tables). uPlot wants one x column: every point gets a row of its own, the other series are null there and
 * drawn across the gap. Rows keep each series' own order among equal x, so a curve's vertical steps stay in order.
 */
export function xyChart(title: string, series: XySeries[], opts: { xLabel: string; yLabel: string; width?: number; height?: number }): HTMLElement {
  const el = document.createElement("div");
  el.className = "chart";
  el.dataset.chart = title;
  const rows = series.flatMap((s, si) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y], i) => ({ x, y, si, i })));
  if (!rows.length) {
    el.textContent = `${title}: no data`;
    el.classList.add("muted");
    return el;
  }
  rows.sort((a, b) => a.x - b.x || a.si - b.si || a.i - b.i);
  const data = [rows.map(r => r.x), ...series.map((_, si) => rows.map(r => r.si === si ? r.y : null))];
  el.dataset.points = String(rows.length);
  // Each series' plotted points in its own order (the non-finite ones left out, as on the canvas), with its value.
  el.dataset.series = JSON.stringify(series.map((s, si) => ({
    label: s.label, ...(s.value === undefined ? {} : { value: s.value }),
    points: rows.filter(r => r.si === si).sort((a, b) => a.i - b.i).map(r => [r.x, r.y]),
  })));
  new uPlot({
    title,
    width: opts.width ?? 420,
    height: opts.height ?? 360,
    scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
    axes: [{ label: opts.xLabel }, { label: opts.yLabel }],
    series: [{ label: opts.xLabel }, ...series.map((s, i) => ({
      label: s.label, stroke: s.color ?? palette[i % palette.length], width: s.dash ? 1 : 2, dash: s.dash ? [6, 4] : undefined,
      spanGaps: true, points: { show: s.dots ?? false, size: 6 },
    }))],
  }, data as uPlot.AlignedData, el);
  return el;
}

export const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
