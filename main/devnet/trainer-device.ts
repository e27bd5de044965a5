import type { TrainOn } from '../../contract/settings';

/** What this machine's trainer is told to load on: the backend, and the CUDA devices to shard across. */
export interface TrainerDevice {
  backend: 'cpu' | 'cuda';
  /** FSDP over these devices; absent for one device or the CPU. */
  devices?: number[];
}

/**
 * Settings → Train on, with the guard's GPU choice. CUDA_VISIBLE_DEVICES
 * (main/guard/gpu-selection.ts) already narrows the trainer to the chosen
 * GPUs and renumbers them from 0, so two or more chosen GPUs are devices
 * 0…n−1 inside the trainer. No choice (null: every GPU) trains on device 0.
 */
export function trainerDevice(trainOn: TrainOn, selectedGpus: readonly number[] | null): TrainerDevice {
  if (trainOn === 'cpu') return { backend: 'cpu' };
  const count = selectedGpus === null ? 0 : new Set(selectedGpus).size;
  return count >= 2 ? { backend: 'cuda', devices: Array.from({ length: count }, (_, i) => i) } : { backend: 'cuda' };
}
