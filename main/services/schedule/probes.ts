import si from 'systeminformation';

/** What the schedule asks the machine; injected in tests. */
export interface ScheduleProbes {
  /** True on battery, false on mains, null when the machine has no battery or cannot tell. */
  onBattery(): Promise<boolean | null>;
  /** Which of `names` are running now (case-insensitive match on the process name, without .exe). */
  runningPrograms(names: readonly string[]): Promise<string[]>;
}

export const systemProbes: ScheduleProbes = {
  async onBattery() {
    const battery = await si.battery();
    if (!battery.hasBattery) return null;
    return !battery.acConnected;
  },
  async runningPrograms(names) {
    if (names.length === 0) return [];
    const { list } = await si.processes();
    const running = new Set(list.map((p) => p.name.toLowerCase().replace(/\.exe$/, '')));
    return names.filter((n) => running.has(n.toLowerCase().replace(/\.exe$/, '')));
  },
};
