/**
 * τ amounts in the user's own currency, at the τ price they set (Earnings →
 * Costs). No price, no figure: these return null rather than guess.
 */

/** Rao in one τ. */
const RAO_PER_TAO = 1_000_000_000n;

/** An amount of money: two decimals from 10 up, four below (energy costs are often cents). */
export function formatMoney(value: number, currency: string): string {
  return `${value.toFixed(value >= 10 ? 2 : 4)} ${currency}`;
}

/** Rao (decimal string or bigint) as a number of τ; exact to the rao for amounts below about 9 million τ. */
export function raoToTao(rao: string | bigint): number {
  const value = typeof rao === 'bigint' ? rao : BigInt(rao);
  return Number(value / RAO_PER_TAO) + Number(value % RAO_PER_TAO) / 1e9;
}

/** What `rao` is worth at `taoPrice` per τ; null without a price. */
export function taoWorth(rao: string | bigint, taoPrice: number | null): number | null {
  return taoPrice === null ? null : raoToTao(rao) * taoPrice;
}

/** The user's price as they set it: "412 EUR/τ". */
export function formatTaoPrice(taoPrice: number, currency: string): string {
  return `${taoPrice} ${currency}/τ`;
}

/** "about 412.00 EUR at your price of 412 EUR/τ", or null when no τ price is set. */
export function describeTaoWorth(rao: string | bigint, price: { taoPrice: number | null; currency: string }): string | null {
  const worth = taoWorth(rao, price.taoPrice);
  if (worth === null || price.taoPrice === null) return null;
  return `about ${formatMoney(worth, price.currency)} at your price of ${formatTaoPrice(price.taoPrice, price.currency)}`;
}

/**
 * The Costs card's "Rewards worth": "1.2000 EUR at your price of 412 EUR/τ
 * (energy 0.0400 EUR, net 1.1600 EUR)", or "nothing earned yet" rather than
 * a row of zeros.
 */
export function describeEarnedWorth(earnedValue: number, energyCost: number | null, price: { taoPrice: number; currency: string }): string {
  if (earnedValue === 0) return 'nothing earned yet';
  const energy = energyCost === null ? '' : ` (energy ${formatMoney(energyCost, price.currency)}, net ${formatMoney(earnedValue - energyCost, price.currency)})`;
  return `${formatMoney(earnedValue, price.currency)} at your price of ${formatTaoPrice(price.taoPrice, price.currency)}${energy}`;
}
