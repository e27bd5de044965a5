import { describe, expect, it } from 'vitest';
import { describeEarnedWorth, describeTaoWorth, formatMoney, formatTaoPrice, raoToTao, taoWorth } from '../../../renderer/src/tao-value';

describe('τ amounts in the user\u2019s currency', () => {
  it('reads rao as τ to the rao, from strings and bigints', () => {
    expect(raoToTao('1000000000')).toBe(1);
    expect(raoToTao(1_500_000_000n)).toBe(1.5);
    expect(raoToTao('1')).toBe(1e-9);
    expect(raoToTao('0')).toBe(0);
    // Beyond 2^53 rao the whole τ are still exact.
    expect(raoToTao('12345678000000000')).toBe(12_345_678);
  });

  it('prices an amount only when the user set a τ price', () => {
    expect(taoWorth('1000000000', 412)).toBe(412);
    expect(taoWorth('250000000', 412)).toBe(103);
    expect(taoWorth('1000000000', null)).toBeNull();
  });

  it('says the amount, the price it used, and nothing without a price', () => {
    expect(describeTaoWorth('1000000000', { taoPrice: 412, currency: 'EUR' })).toBe('about 412.00 EUR at your price of 412 EUR/τ');
    expect(describeTaoWorth('2500000', { taoPrice: 412, currency: 'USD' })).toBe('about 1.0300 USD at your price of 412 USD/τ');
    expect(describeTaoWorth('1000000000', { taoPrice: null, currency: 'EUR' })).toBeNull();
    expect(formatTaoPrice(0.5, '€')).toBe('0.5 €/τ');
  });

  it('sets the rewards\u2019 worth beside their energy, and says so when nothing is earned yet', () => {
    const price = { taoPrice: 412, currency: 'EUR' };
    expect(describeEarnedWorth(1.2, 0.04, price)).toBe('1.2000 EUR at your price of 412 EUR/τ (energy 0.0400 EUR, net 1.1600 EUR)');
    expect(describeEarnedWorth(1.2, null, price)).toBe('1.2000 EUR at your price of 412 EUR/τ');
    expect(describeEarnedWorth(0, 0.04, price)).toBe('nothing earned yet');
  });

  it('writes money with cents from 10 up and four decimals below', () => {
    expect(formatMoney(412, 'EUR')).toBe('412.00 EUR');
    expect(formatMoney(0.006, 'EUR')).toBe('0.0060 EUR');
    expect(formatMoney(0, 'EUR')).toBe('0.0000 EUR');
  });
});
