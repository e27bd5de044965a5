import { describe, expect, it } from 'vitest';
import type { RoundRecord } from '../../../main/services/earnings/round-ledger';
import { roundFigures, utilization } from '../../../bench/round/round-figures';

// Times in seconds from 0; windows open every 10 s.
const opens = new Map([0, 1, 2, 3].map((w) => [w, w * 10_000]));
const trained = (window: number, start: number, seconds: number): RoundRecord => ({ window, at: (start + seconds) * 1000, phase: 'trained', phaseSeconds: { training: seconds } });
const applied = (window: number, end: number, seconds: number): RoundRecord => ({ window, at: end * 1000, phase: 'applied', phaseSeconds: { applying: seconds } });
const comm = (window: number, at: number, uploading: number, gathering: number): RoundRecord[] => [
  { window, at: at * 1000, phase: 'uploaded', phaseSeconds: { uploading } },
  { window, at: (at + gathering) * 1000, phase: 'gathered', phaseSeconds: { gathering } },
];

describe('round figures for bench:round', () => {
  it('in turn: the communication between training and the outer step is exposed, the wait for the next window is slack', () => {
    // Train 6 s, upload 1 s, gather 2 s, apply 0.5 s, then wait for the next window.
    const records = [0, 1, 2].flatMap((w) => [trained(w, w * 10, 6), ...comm(w, w * 10 + 7, 1, 2), applied(w, w * 10 + 9.5, 0.5)]);
    const figures = roundFigures(records, opens);
    expect(figures.map((f) => f.window)).toEqual([0, 1]);
    for (const f of figures) {
      expect(f.wall).toBeCloseTo(10);
      expect(f.compute).toBeCloseTo(6);
      expect(f.outerStep).toBeCloseTo(0.5);
      expect(f.communication).toBeCloseTo(3);
      expect(f.exposedCommunication).toBeCloseTo(3);
      expect(f.windowSlack).toBeCloseTo(0.5);
    }
    expect(utilization(figures).raw).toBeCloseTo(0.6);
    expect(utilization(figures).withoutSlack).toBeCloseTo(6 / 9.5);
  });

  it('overlapped: the communication runs beside the next window and nothing is exposed', () => {
    // Train 9 s; the previous window's aggregate is applied right after (0.5 s); this window's upload and gather run during the next training.
    const records = [0, 1, 2].flatMap((w) => [trained(w, w * 10, 9), ...(w > 0 ? [applied(w - 1, w * 10 + 9.5, 0.5)] : []), ...comm(w, w * 10 + 10, 1, 2)]);
    const figures = roundFigures(records, opens);
    for (const f of figures.slice(1)) {
      expect(f.compute).toBeCloseTo(9);
      expect(f.outerStep).toBeCloseTo(0.5);
      expect(f.communication).toBeCloseTo(3);
      expect(f.exposedCommunication).toBeCloseTo(0);
      expect(f.windowSlack).toBeCloseTo(0.5);
    }
    // Only the outer step stands between the inner steps and the window's end.
    expect(utilization(figures.slice(1)).withoutSlack).toBeCloseTo(9 / 9.5);
  });

  it('a missed window is wall time without useful compute', () => {
    const records = [0, 1, 2].flatMap((w) => [trained(w, w * 10, 9), ...(w > 0 ? [applied(w - 1, w * 10 + 9.5, 0.5)] : []), ...comm(w, w * 10 + 10, 1, 2)]);
    records.push({ window: 1, at: 21_000, phase: 'missed', reason: 'upload after the deadline' });
    const figures = roundFigures(records, opens);
    expect(figures.map((f) => [f.window, f.counted])).toEqual([[0, true], [1, false]]);
    expect(utilization(figures).raw).toBeCloseTo(9 / 20);
  });

  it('a peer behind the chain fits its windows closer together than the chain does; the headline takes the chain\'s windows', () => {
    // Joined 3 s late: each 9.5 s window starts when the last one is done, 0.5 s sooner each time, until it catches up.
    const records = [0, 1, 2].flatMap((w) => [trained(w, 3 + w * 9.5, 9.5), ...comm(w, 3 + (w + 1) * 9.5, 1, 2)]);
    const figures = roundFigures(records, opens);
    expect(figures.map((f) => f.wall)).toEqual([9.5, 9.5]);
    expect(figures.map((f) => f.chainWindow)).toEqual([10, 10]);
    expect(utilization(figures).raw).toBeCloseTo(0.95);
  });
});
