/** One standard normal value from two uniforms in [0, 1) (Box-Muller; 1 − u keeps the log finite). */
export function standardNormal(random: () => number = Math.random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
