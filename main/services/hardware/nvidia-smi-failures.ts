import type { Diagnosis } from '../../../contract/domains/hardware';

/**
 * How nvidia-smi failed, told from what it printed and how it exited: each
 * failure the field meets (no driver, a wedged GPU, a library mismatch, a
 * container without --gpus) becomes a named {@link Diagnosis} with what to do,
 * because "no GPU found" alone leaves the user nowhere to go.
 */

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** null when the process could not be started or was killed. */
  exitCode: number | null;
  /** e.g. 'ENOENT' when the binary is missing, 'ETIMEDOUT' when it was killed for taking too long. */
  errorCode?: string;
}

const REMEDIATION = {
  install: 'Install the NVIDIA driver for your GPU (it provides nvidia-smi), then reboot and run the check again.',
};

/** Names the failure behind nvidia-smi output that holds no GPU data; null when nothing failed. */
export function diagnoseFailure(output: CommandOutput): Diagnosis | null {
  const text = `${output.stdout}\n${output.stderr}`;
  if (output.errorCode === 'ENOENT' || output.exitCode === 127 || /command not found|is not recognized as an internal/i.test(text)) {
    return {
      code: 'nvidia-smi-missing',
      severity: 'error',
      title: 'nvidia-smi is not installed',
      detail: 'The nvidia-smi program was not found on the PATH, so no NVIDIA driver seems to be installed.',
      remediation: REMEDIATION.install,
    };
  }
  if (output.errorCode === 'ETIMEDOUT') {
    return {
      code: 'nvidia-smi-timeout',
      severity: 'error',
      title: 'nvidia-smi did not answer in time',
      detail: 'nvidia-smi hung; this happens when a GPU has fallen off the bus or the driver is wedged.',
      remediation: 'Check `dmesg` for Xid errors, then reboot the machine. If it keeps happening, reseat the GPU or check its power cables.',
    };
  }
  if (/couldn't communicate with the NVIDIA driver/i.test(text)) {
    return {
      code: 'driver-not-loaded',
      severity: 'error',
      title: 'NVIDIA-SMI has failed: the driver is not loaded',
      detail: firstLine(text),
      remediation:
        'The kernel module is not running. Reboot; if that does not help, reinstall the driver for your running kernel (after a kernel update the module must be rebuilt, e.g. via DKMS) and check that Secure Boot is not blocking it.',
    };
  }
  if (/Driver\/library version mismatch/i.test(text)) {
    const lib = /NVML library version:\s*([0-9.]+)/i.exec(text)?.[1];
    return {
      code: 'driver-library-mismatch',
      severity: 'error',
      title: 'Driver/library version mismatch',
      detail: `The NVIDIA user-space libraries${lib ? ` (NVML ${lib})` : ''} were upgraded but the old kernel module is still loaded.`,
      remediation: 'Reboot the machine so the kernel module matches the upgraded libraries.',
    };
  }
  if (/couldn't find libnvidia-ml/i.test(text)) {
    return {
      code: 'nvml-library-missing',
      severity: 'error',
      title: 'libnvidia-ml.so is missing',
      detail: firstLine(text),
      remediation: 'Reinstall the NVIDIA driver (the NVML library comes with it); in a container, run it with the NVIDIA Container Toolkit (`--gpus all`).',
    };
  }
  if (/No devices were found/i.test(text)) {
    return {
      code: 'no-devices',
      severity: 'error',
      title: 'No NVIDIA devices were found',
      detail: 'The driver is loaded but sees no GPU.',
      remediation:
        'In a container, start it with `--gpus all` (NVIDIA Container Toolkit). Check CUDA_VISIBLE_DEVICES and cgroup device rules; on bare metal check `lspci | grep -i nvidia` and `dmesg` for a GPU that fell off the bus.',
    };
  }
  if (/Failed to initialize NVML: Unknown Error/i.test(text)) {
    return {
      code: 'nvml-unknown-error',
      severity: 'error',
      title: 'Failed to initialize NVML: Unknown Error',
      detail: 'NVML could not open the GPU devices. In containers this follows a `systemctl daemon-reload` on cgroup v2 hosts.',
      remediation: 'Restart the container (or the machine). For good, set up the NVIDIA Container Toolkit with the cgroup driver it documents.',
    };
  }
  if (output.exitCode !== 0 || output.errorCode) {
    return {
      code: 'nvidia-smi-failed',
      severity: 'error',
      title: `nvidia-smi failed${output.exitCode !== null ? ` (exit ${output.exitCode})` : ''}`,
      detail: firstLine(text) || 'no output',
      remediation: 'Run `nvidia-smi` in a terminal to see the error; reinstall the driver if it persists.',
    };
  }
  return null;
}

export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}


export function unparsable(what: string, sample: string): Diagnosis {
  return {
    code: 'unparsable-output',
    severity: 'error',
    title: 'nvidia-smi printed something Tandem cannot read',
    detail: `${what}: ${firstLine(sample).slice(0, 200) || 'empty output'}`,
    remediation: 'Run `nvidia-smi -q` in a terminal; if it shows your GPUs, report this output to the Tandem developers.',
  };
}
