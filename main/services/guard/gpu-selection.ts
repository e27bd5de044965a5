/**
 * The trainer sees only the chosen GPUs: CUDA_VISIBLE_DEVICES in its
 * (sanitized) environment, so the display GPU stays free for the desktop.
 * CUDA renumbers the visible ones from 0 inside the trainer.
 */
export function visibleDevices(selected: readonly number[] | null): string | null {
  if (selected === null) return null;
  // An empty list hides every GPU: the trainer then runs on the CPU.
  return [...new Set(selected)].sort((a, b) => a - b).join(',');
}

export function trainerGpuEnv(selected: readonly number[] | null): Record<string, string> {
  const devices = visibleDevices(selected);
  // PCI order makes the indices match nvidia-smi's (CUDA's default is fastest-first).
  return devices === null ? {} : { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: devices };
}
