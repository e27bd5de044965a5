import { execFile } from 'node:child_process';
import type { GuardSettings, GuardState } from '../../../contract/domains/guard';

export type RunCommand = (command: string, args: string[]) => Promise<{ stdout: string; stderr: string }>;

const runFile: RunCommand = (command, args) =>
  new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 15_000, windowsHide: true }, (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }))),
  );

function why(error: unknown): string {
  const text = `${(error as { stderr?: string }).stderr ?? ''} ${(error as Error).message}`;
  if (/permission|privilege|root|administrator/i.test(text)) return 'needs administrator rights (run Tandem as root / Administrator, or set the limit yourself with nvidia-smi -pl)';
  if (/ENOENT/.test(text)) return 'nvidia-smi is not installed';
  return text.trim().split('\n')[0] ?? 'nvidia-smi failed';
}

/** The GPUs a cap applies to: selected ones with a power target. */
export function capTargets(settings: GuardSettings): Array<{ index: number; watts: number }> {
  return settings.limits
    .filter((l) => l.targetPowerW !== null && (settings.selectedGpus === null || settings.selectedGpus.includes(l.index)))
    .map((l) => ({ index: l.index, watts: Math.round(l.targetPowerW as number) }));
}

/**
 * The optional hard limit: `nvidia-smi -i N -pl W` for every selected GPU with
 * a power target. It needs administrator rights; without them the guard's
 * throttling still holds the targets, and the UI says why the cap is missing.
 */
export async function applyPowerCaps(settings: GuardSettings, run: RunCommand = runFile): Promise<GuardState['powerCap'] & { capped: number[] }> {
  if (!settings.applyPowerCap) return { status: 'off', detail: null, capped: [] };
  const targets = capTargets(settings);
  if (targets.length === 0) return { status: 'off', detail: 'No selected GPU has a power target to cap.', capped: [] };
  const capped: number[] = [];
  for (const t of targets) {
    try {
      await run('nvidia-smi', ['-i', String(t.index), '-pl', String(t.watts)]);
      capped.push(t.index);
    } catch (error) {
      return { status: 'failed', detail: `Power cap on GPU ${t.index} not applied: ${why(error)}. Throttling still keeps the targets.`, capped };
    }
  }
  return { status: 'applied', detail: `Power capped with nvidia-smi: ${targets.map((t) => `GPU ${t.index}: ${t.watts} W`).join(', ')}.`, capped };
}

/** Puts each GPU back to its default power limit (the cap lasts until reboot otherwise). */
export async function restorePowerLimits(indices: readonly number[], run: RunCommand = runFile): Promise<string[]> {
  const problems: string[] = [];
  for (const index of indices) {
    try {
      const { stdout } = await run('nvidia-smi', ['-i', String(index), '--query-gpu=power.default_limit', '--format=csv,noheader,nounits']);
      const watts = Number.parseFloat(stdout.trim());
      if (!Number.isFinite(watts)) throw new Error(`no default power limit reported (${stdout.trim() || 'empty'})`);
      await run('nvidia-smi', ['-i', String(index), '-pl', String(Math.round(watts))]);
    } catch (error) {
      problems.push(`GPU ${index}: ${why(error)}`);
    }
  }
  return problems;
}
