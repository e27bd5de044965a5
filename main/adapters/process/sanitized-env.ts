/**
 * The trainer gets an allow-list of variables, never the whole environment: a
 * compute child has no business with storage keys, wallet passwords
 * (BT_PW_*) or tokens that happen to be set in the user's shell.
 */
const ALLOWED = [/^PATH$/, /^HOME$/, /^USER$/, /^LANG$/, /^LC_[A-Z]+$/, /^TZ$/, /^TMPDIR$/, /^TEMP$/, /^TMP$/, /^SYSTEMROOT$/, /^CUDA_[A-Z_]+$/, /^NCCL_[A-Z_]+$/, /^LD_LIBRARY_PATH$/, /^OMP_NUM_THREADS$/];

export function sanitizedEnv(source: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && ALLOWED.some((pattern) => pattern.test(key))) env[key] = value;
  }
  return { ...env, ...extra };
}
