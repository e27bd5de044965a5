import { SIMULATED_GPU } from '../guard/simulated-gpu';
import { detectGpus } from '../hardware/detect';
import type { FitDevice } from './fit-test';

/** The GPUs nvidia-smi lists, or TANDEM_SIMULATE_GPU's card, or none (the CPU trains). */
export async function fitDevice(env: NodeJS.ProcessEnv = process.env): Promise<FitDevice> {
  if (env['TANDEM_SIMULATE_GPU']) return { gpus: [{ ...SIMULATED_GPU }], simulated: true };
  const detected = await detectGpus().catch(() => null);
  const gpus = (detected?.gpus ?? []).filter((g) => g.vramTotalMiB !== null).map((g) => ({ name: g.name, vramBytes: (g.vramTotalMiB as number) * 2 ** 20 }));
  return { gpus, simulated: false };
}
