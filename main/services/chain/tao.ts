/** An amount in rao (1 TAO = 10⁹ rao) as TAO, with no trailing zeros: 1.5 TAO, 0.000125 TAO. */
export function formatTao(rao: bigint): string {
  const sign = rao < 0n ? '-' : '';
  const abs = rao < 0n ? -rao : rao;
  const whole = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}${whole}${frac ? `.${frac}` : ''} TAO`;
}
