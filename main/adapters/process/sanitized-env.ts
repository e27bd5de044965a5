/**
 * The trainer gets an allow-list of variables, never the whole environment: a
 * compute child has no business with storage keys, wallet passwords
 * (BT_PW_*) or tokens that happen to be set in the user's shell.
 */
const ALLOWED = [/^PATH$/, /^HOME$/, /^USER$/, /^LANG$/, /^LC_[A-Z]+$/, /^TZ$/, /^TMPDIR$/, /^TEMP$/, /^TMP$/, /^SYSTEMROOT$/, /^CUDA_[A-Z_]+$/, /^NCCL_[A-Z_]+$/, /^LD_LIBRARY_PATH$/, /^OMP_NUM_THREADS$/, /^OMP_WAIT_POLICY$/];

/**
 * OpenMP threads that wait for work sleep rather than spin (libgomp spins by
 * default). A trainer shares its cores: with the devnet's four other trainers,
 * the node process, and whatever else the user runs. Spinning threads then
 * hold cores the others need, and every barrier of a small model's step waits
 * for a time slice: on 2 cores the devnet peer's window took 3.1-6.9 s
 * spinning and 2.1-3.2 s sleeping (windows 3-7, measured for issue 24). A
 * value the user sets wins.
 */
const DEFAULTS: Record<string, string> = { OMP_WAIT_POLICY: 'passive' };

export function sanitizedEnv(source: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { ...DEFAULTS };
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && ALLOWED.some((pattern) => pattern.test(key))) env[key] = value;
  }
  return { ...env, ...extra };
}
