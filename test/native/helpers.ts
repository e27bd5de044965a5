/** Deterministic pseudo-gradients for the native codec tests. */
export function pseudoGradient(n: number, seed: number, scale = 1e-3): Float32Array {
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    // xorshift32: enough randomness for test data, reproducible by seed.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = g * scale * (uniform() < 0.05 ? 4 : 1);
  }
  return out;
}
