import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useColorScheme } from '../../use-color-scheme';

export interface LineChartProps {
  /** x values (ascending) and one series of y values. */
  x: number[];
  y: number[];
  label: string;
  xLabel: string;
  height?: number;
  /** Formats y ticks and the legend. */
  format?: (value: number) => string;
  /** Bars suit one value per period (rewards per epoch); lines suit a trend. */
  kind?: 'line' | 'bars';
  /** A CSS colour variable for the series; the accent by default. */
  colorVar?: string;
  testId?: string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * A small uPlot line chart that follows the theme and resizes with its box.
 * uPlot redraws data in place, so a stream of updates costs no re-mount.
 */
export function LineChart({ x, y, label, xLabel, height = 180, format, kind = 'line', colorVar = '--accent', testId }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const scheme = useColorScheme();
  // The latest data, for a chart re-created (theme change) between data updates.
  const data = useRef<[number[], number[]]>([x, y]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: cssVar('--muted', '#666'), grid: { stroke: cssVar('--border', '#ddd'), width: 1 }, ticks: { show: false } };
    plot.current = new uPlot(
      {
        width: el.clientWidth || 400,
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        // Bars get half a step of room at each end so the first and last are whole, and stand on zero: a bar's
        // height is its amount, so rounds that moved nearly the same bytes look nearly the same.
        scales: {
          x: { time: false, ...(kind === 'bars' ? { range: (_u, min, max) => [min - 0.5, max + 0.5] } : {}) },
          ...(kind === 'bars' ? { y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.1 : 1] } } : {}),
        },
        axes: [
          // x values are counts (steps, windows, epochs): whole-number ticks only.
          { ...axis, label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000], values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
          // Tighter tick spacing than uPlot's default: a loss moving within one unit still gets a readable scale.
          { ...axis, space: 20, values: (_u, ticks) => ticks.map((t) => (format ? format(t) : String(t))) },
        ],
        series: [
          {},
          kind === 'bars'
            ? { label, stroke: cssVar(colorVar, '#3056d3'), fill: cssVar(colorVar, '#3056d3'), width: 0, paths: uPlot.paths.bars?.({ size: [0.6, 40] }), points: { show: false } }
            : { label, stroke: cssVar(colorVar, '#3056d3'), width: 2, points: { show: false } },
        ],
      },
      data.current,
      el,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height, label, xLabel, format, kind, colorVar, scheme]);

  useEffect(() => {
    data.current = [x, y];
    plot.current?.setData([x, y]);
  }, [x, y]);

  return (
    <figure className="chart">
      <figcaption className="chart-caption" aria-hidden="true">
        {label}
      </figcaption>
      <div ref={box} className="line-chart" data-testid={testId} role="img" aria-label={`${label} chart: ${y.length} points${y.length ? `, latest ${format ? format(y[y.length - 1] as number) : y[y.length - 1]}` : ''}`} />
    </figure>
  );
}
