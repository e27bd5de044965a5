import fs from 'node:fs';

export interface MachineWarning {
  kind: 'ssh' | 'container' | 'vm' | 'cloud';
  detail: string;
}

/** What the heuristics read; injected so tests can describe any machine. */
export interface MachineProbe {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  exists(path: string): boolean;
  read(path: string): string | undefined;
}

export const realProbe: MachineProbe = {
  env: process.env,
  platform: process.platform,
  exists: (p) => {
    try {
      fs.accessSync(p);
      return true;
    } catch {
      return false;
    }
  },
  read: (p) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

const CLOUD_VENDORS: Array<[RegExp, string]> = [
  [/amazon|ec2/i, 'Amazon EC2'],
  [/google/i, 'Google Cloud'],
  [/microsoft corporation/i, 'Microsoft Azure / Hyper-V'],
  [/digitalocean/i, 'DigitalOcean'],
  [/hetzner/i, 'Hetzner'],
  [/ovh/i, 'OVHcloud'],
  [/alibaba|aliyun/i, 'Alibaba Cloud'],
  [/oracle/i, 'Oracle Cloud'],
  [/linode|akamai/i, 'Linode / Akamai'],
  [/vultr/i, 'Vultr'],
  [/scaleway/i, 'Scaleway'],
  [/lambda/i, 'Lambda'],
  [/coreweave/i, 'CoreWeave'],
  [/openstack/i, 'OpenStack'],
  [/tencent/i, 'Tencent Cloud'],
];

const HYPERVISORS: Array<[RegExp, string]> = [
  [/qemu|kvm/i, 'QEMU/KVM'],
  [/vmware/i, 'VMware'],
  [/virtualbox|innotek/i, 'VirtualBox'],
  [/xen/i, 'Xen'],
  [/bochs/i, 'Bochs'],
  [/parallels/i, 'Parallels'],
  [/virtual machine/i, 'a virtual machine'],
];

const RENTAL_ENV: Array<[string, string]> = [
  ['RUNPOD_POD_ID', 'RunPod'],
  ['VAST_CONTAINERLABEL', 'Vast.ai'],
  ['LAMBDA_INSTANCE_ID', 'Lambda'],
  ['PAPERSPACE_CLUSTER_ID', 'Paperspace'],
  ['COLAB_GPU', 'Google Colab'],
  ['KUBERNETES_SERVICE_HOST', 'Kubernetes'],
];

/**
 * Signs that this is a rented, remote or virtual machine, where a coldkey
 * should not live (anyone with root on the host can read it). Heuristics only:
 * each hit says what was seen, and none blocks anything.
 */
export function detectRemoteMachine(probe: MachineProbe = realProbe): MachineWarning[] {
  const warnings: MachineWarning[] = [];
  const env = probe.env;
  for (const name of ['SSH_CONNECTION', 'SSH_CLIENT', 'SSH_TTY']) {
    if (env[name]) {
      warnings.push({ kind: 'ssh', detail: `${name} is set: this session runs over SSH` });
      break;
    }
  }
  for (const [name, vendor] of RENTAL_ENV) {
    if (env[name]) warnings.push({ kind: name === 'KUBERNETES_SERVICE_HOST' ? 'container' : 'cloud', detail: `${name} is set (${vendor})` });
  }
  if (probe.platform !== 'linux') return warnings;

  if (probe.exists('/.dockerenv')) warnings.push({ kind: 'container', detail: '/.dockerenv exists (Docker container)' });
  if (probe.exists('/run/.containerenv')) warnings.push({ kind: 'container', detail: '/run/.containerenv exists (Podman container)' });
  if (env['container']) warnings.push({ kind: 'container', detail: `container=${env['container']} is set` });
  const cgroup = probe.read('/proc/1/cgroup') ?? '';
  const cgroupHit = /(docker|kubepods|containerd|lxc|libpod)/.exec(cgroup);
  if (cgroupHit && !warnings.some((w) => w.kind === 'container')) {
    warnings.push({ kind: 'container', detail: `/proc/1/cgroup mentions ${cgroupHit[1]}` });
  }

  const dmi = ['sys_vendor', 'product_name', 'board_vendor', 'bios_vendor', 'chassis_vendor']
    .map((field) => (probe.read(`/sys/class/dmi/id/${field}`) ?? '').trim())
    .filter(Boolean)
    .join(' / ');
  if (dmi) {
    const cloud = CLOUD_VENDORS.find(([re]) => re.test(dmi));
    if (cloud) warnings.push({ kind: 'cloud', detail: `the firmware names ${cloud[1]} (${dmi})` });
    const vm = HYPERVISORS.find(([re]) => re.test(dmi));
    if (vm && !cloud) warnings.push({ kind: 'vm', detail: `the firmware names ${vm[1]} (${dmi})` });
  }
  const cpuinfo = probe.read('/proc/cpuinfo') ?? '';
  if (/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) && !warnings.some((w) => w.kind === 'vm' || w.kind === 'cloud')) {
    warnings.push({ kind: 'vm', detail: 'the CPU reports the hypervisor flag (virtual machine)' });
  }
  return warnings;
}
