import { execFile } from 'node:child_process';
import type { GuardSettings, GuardState } from '../../contract/domains/guard';

export type RunCommand = (command: string, args: string[]) => Promise<{ stdout: string; stderr: string }>;

const runFile: RunCommand = (command, args) =>
  new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 15_000, windowsHide: true }, (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }))),
  );

/**
 * The optional hard limit: `nvidia-smi -i N -pl W` for every selected GPU with
 * a power target. It needs administrator rights; without them the guard's
 * throttling still holds the targets, and the UI says why the cap is missing.
 */
export async function applyPowerCaps(settings: GuardSettings, gpuIndices: readonly number[], run: RunCommand = runFile): Promise<GuardState['powerCap']> {
  if (!settings.applyPowerCap) return { status: 'off', detail: null };
  const targets = settings.limits.filter((l) => l.targetPowerW !== null && gpuIndices.includes(l.index) && (settings.selectedGpus === null || settings.selectedGpus.includes(l.index)));
  if (targets.length === 0) return { status: 'off', detail: 'No GPU has a power target to cap.' };
  const done: string[] = [];
  for (const limit of targets) {
    try {
      await run('nvidia-smi', ['-i', String(limit.index), '-pl', String(Math.round(limit.targetPowerW as number))]);
      done.push(`GPU ${limit.index}: ${Math.round(limit.targetPowerW as number)} W`);
    } catch (error) {
      const text = `${(error as { stderr?: string }).stderr ?? ''} ${(error as Error).message}`;
      const why = /permission|privilege|root|administrator/i.test(text)
        ? 'needs administrator rights (run Tandem as root / Administrator, or set the limit yourself with nvidia-smi -pl)'
        : /ENOENT/.test(text)
          ? 'nvidia-smi is not installed'
          : text.trim().split('\n')[0] ?? 'nvidia-smi failed';
      return { status: 'failed', detail: `Power cap on GPU ${limit.index} not applied: ${why}. Throttling still keeps the targets.` };
    }
  }
  return { status: 'applied', detail: `Power capped with nvidia-smi: ${done.join(', ')}.` };
}
