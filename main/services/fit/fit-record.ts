import fs from 'node:fs/promises';
import path from 'node:path';
import type { FitReport } from '../../../contract/domains/fit';
import { readFileIfExists, writeFileAtomically } from '../../platform/atomic-file';
import type { FitResult } from './fit-test';

/**
 * The last fit test's answer, kept so the set-up guide can show it again and
 * `tandem fit --compare` can hold it against the windows that followed.
 */
export interface SavedFit {
  network: string;
  runName: string;
  /** The round ledger this machine writes when it joins that run. */
  ledgerFile: string;
  result: FitResult;
}

export const lastFitFile = (dataDir: string) => path.join(dataDir, 'fit', 'last-fit.json');

export async function saveFit(dataDir: string, fit: SavedFit): Promise<void> {
  await fs.mkdir(path.dirname(lastFitFile(dataDir)), { recursive: true });
  await writeFileAtomically(lastFitFile(dataDir), `${JSON.stringify(fit, null, 2)}\n`);
}

/** The saved answer, or null when there is none or it cannot be read (a damaged file is as good as none: run the test again). */
export async function loadFit(dataDir: string): Promise<SavedFit | null> {
  const text = await readFileIfExists(lastFitFile(dataDir));
  if (!text) return null;
  try {
    const saved = JSON.parse(text) as SavedFit;
    return saved && typeof saved === 'object' && saved.result?.verdict && saved.result.measurement ? saved : null;
  } catch {
    return null;
  }
}

/** The answer as the contract carries it to the UI. */
export function fitReportOf(saved: SavedFit): FitReport {
  const { result } = saved;
  return {
    network: saved.network,
    runName: saved.runName,
    outcome: result.verdict.outcome,
    headline: result.verdict.headline,
    figures: result.verdict.figures,
    shareOfMedian: result.verdict.shareOfMedian,
    advice: result.verdict.advice,
    notes: result.notes,
    trainedOn: result.trainedOn,
    secondsPerInnerStep: result.measurement.secondsPerInnerStep,
    payloadBytes: result.measurement.payloadBytes,
    peers: result.measurement.peers,
    measuredAt: result.measuredAt,
  };
}
