import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface LineChartProps {
  /** x values (ascending) and one series of y values. */
  x: number[];
  y: number[];
  label: string;
  xLabel: string;
  height?: number;
  /** Formats y ticks and the legend. */
  format?: (value: number) => string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * A small uPlot line chart that follows the theme and resizes with its box.
 * uPlot redraws data in place, so a stream of updates costs no re-mount.
 */
export function LineChart({ x, y, label, xLabel, height = 180, format }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

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
        scales: { x: { time: false } },
        axes: [
          { ...axis, label: xLabel },
          { ...axis, values: (_u, ticks) => ticks.map((t) => (format ? format(t) : String(t))) },
        ],
        series: [{}, { label, stroke: cssVar('--accent', '#3056d3'), width: 2, points: { show: false } }],
      },
      [[], []],
      el,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height, label, xLabel, format]);

  useEffect(() => {
    plot.current?.setData([x, y]);
  }, [x, y]);

  return <div ref={box} className="line-chart" role="img" aria-label={`${label} chart: ${y.length} points${y.length ? `, latest ${format ? format(y[y.length - 1] as number) : y[y.length - 1]}` : ''}`} />;
}
