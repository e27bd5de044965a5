import path from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChainPort, Neuron } from '../../../main/ports/chain-port';
import { DevnetChain } from '../../support/devnet-chain';
import { earningsReport } from '../../../main/services/earnings/earnings';
import { earningsFromCsv, earningsToCsv, raoToTao } from '../../../main/services/earnings/earnings-csv';
import { EarningsTracker } from '../../../main/services/earnings/earnings-tracker';
import { RoundLedger } from '../../../main/services/earnings/round-ledger';
import { makeTempDir } from '../../support/temp-dir';

const logger = pino({ level: 'silent' });

/** A chain that answers the metagraph with what the test says this epoch paid. */
function payingChain(uid: number, pay: () => { emission: bigint; incentive: number }): ChainPort {
  return {
    metagraph: async (netuid: number) => ({ netuid, block: 0, neurons: [{ uid, ...pay() } as Neuron] }),
  } as unknown as ChainPort;
}

describe('earnings ledger', () => {
  let temp: ReturnType<typeof makeTempDir>;
  afterEach(() => temp?.cleanup());

  async function playRounds() {
    temp = makeTempDir();
    const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
    let paid = { emission: 1_000_000_001n, incentive: 0.25 };
    const tracker = await EarningsTracker.open({ chain: payingChain(7, () => paid), netuid: 3, uid: 7, ledger, tempo: 20, file: path.join(temp.dir, 'payouts.json'), logger, now: () => 1_790_000_100_000 }); // payouts come after the rounds they pay
    const full = async (w: number) => {
      await ledger.append({ window: w, at: 1_790_000_000_000 + w, phase: 'trained', loss: 3.2 });
      await ledger.append({ window: w, at: 1_790_000_000_000 + w, phase: 'uploaded', bytesUp: 1000 });
      await ledger.append({ window: w, at: 1_790_000_000_000 + w, phase: 'applied' });
    };
    await tracker.onBlock(5); // tracking starts
    await full(1);
    await full(2);
    await ledger.append({ window: 3, at: 1_790_000_000_003, phase: 'missed', reason: 'training failed: the trainer exited (SIGKILL)' });
    await tracker.onBlock(20); // epoch 1 pays 1 000 000 001 rao over windows 1 and 2
    await ledger.append({ window: 4, at: 1_790_000_000_004, phase: 'trained' });
    await ledger.append({ window: 4, at: 1_790_000_000_004, phase: 'missed', reason: 'upload failed: bucket unreachable, "quoted", and, commas' });
    await full(5);
    paid = { emission: 0n, incentive: 0 };
    await tracker.onBlock(41); // epoch 2 pays nothing
    await full(6); // not paid yet
    return { ledger, tracker };
  }

  it('pays rounds per epoch, gives every zero a reason, and reconciles with the chain', async () => {
    const { ledger, tracker } = await playRounds();
    const report = earningsReport(await ledger.summaries(), tracker.payouts);
    const byWindow = new Map(report.rows.map((r) => [r.window, r]));
    expect(byWindow.get(1)).toMatchObject({ trained: true, uploaded: true, reward: '500000000', weight: 0.25, reason: null });
    expect(byWindow.get(2)).toMatchObject({ reward: '500000001', reason: null });
    expect(byWindow.get(3)).toMatchObject({ trained: false, reward: '0', reason: 'training failed: the trainer exited (SIGKILL)' });
    expect(byWindow.get(4)).toMatchObject({ trained: true, uploaded: false, reward: '0', reason: expect.stringMatching(/^upload failed/) });
    expect(byWindow.get(5)).toMatchObject({ uploaded: true, reward: '0', weight: 0, reason: expect.stringMatching(/validators gave this peer no weight at epoch 2/) });
    expect(byWindow.get(6)).toMatchObject({ reward: null });
    // A row's time is when its round was trained, not when the epoch paid it.
    expect(byWindow.get(1)?.at).toBe(1_790_000_000_001);
    for (const row of report.rows) if (row.reward === '0') expect(row.reason).toBeTruthy();
    expect(report).toMatchObject({ ledgerTotal: '1000000001', chainTotal: '1000000001', reconciled: true, pendingRounds: 1 });

    // Payouts survive a restart.
    const reopened = await EarningsTracker.open({ chain: payingChain(7, () => ({ emission: 0n, incentive: 0 })), netuid: 3, uid: 7, ledger, tempo: 20, file: path.join(temp.dir, 'payouts.json'), logger });
    expect(reopened.payouts.map((p) => p.emission)).toEqual(['1000000001', '0']);
  });

  it('flags a mismatch when the chain paid for rounds the ledger does not hold', async () => {
    const { ledger, tracker } = await playRounds();
    const report = earningsReport(await ledger.summaries(), [...tracker.payouts, { epoch: 9, block: 180, at: 0, emission: '42', incentive: 0.1 }]);
    expect(report.reconciled).toBe(false);
    expect(report.chainTotal).toBe('1000000043');
  });

  it('exports CSV that reads back to the same rows (quotes, commas, empty cells)', async () => {
    const { ledger, tracker } = await playRounds();
    const rows = earningsReport(await ledger.summaries(), tracker.payouts).rows;
    const csv = earningsToCsv(rows);
    expect(csv.split('\n')[0]).toBe('window,time,trained,uploaded,applied,score,weight,reward_rao,reward_tao,reason,energy_wh,energy_source,cost,currency');
    expect(csv).toContain('"upload failed: bucket unreachable, ""quoted"", and, commas"');
    expect(csv).toContain(',500000001,0.500000001,');
    expect(earningsFromCsv(csv)).toEqual(rows);
  });

  it('prices each round\u2019s energy, sums it per day, and says what a τ must be worth to break even; the CSV carries both', async () => {
    const { ledger, tracker } = await playRounds();
    const summaries = await ledger.summaries();
    // 12 Wh measured on the GPU for each round that trained.
    for (const s of summaries) if (s.phases.includes('trained')) await ledger.append({ window: s.window, at: s.lastAt, energyWh: 12, energySource: 'gpu' });
    const costs = { pricePerKWh: 0.5, currency: 'EUR', machineWatts: null, taoPrice: null };
    const report = earningsReport(await ledger.summaries(), tracker.payouts, Infinity, costs);
    const trained = report.rows.filter((r) => r.trained);
    expect(trained.length).toBeGreaterThan(0);
    for (const row of trained) expect(row).toMatchObject({ energyWh: 12, energySource: 'gpu', cost: 0.006 });
    expect(report.rows.filter((r) => !r.trained).every((r) => r.energyWh === null && r.cost === null)).toBe(true);
    expect(report.costs.energyWh).toBe(12 * trained.length);
    expect(report.costs.cost).toBeCloseTo(0.006 * trained.length, 12);
    expect(report.costs.days.reduce((n, d) => n + d.energyWh, 0)).toBe(12 * trained.length);
    expect(report.costs.days.reduce((n, d) => n + BigInt(d.reward), 0n)).toBe(BigInt(report.ledgerTotal));
    // The ledger earned 1.000000001 τ: the energy pays for itself when a τ is worth its cost.
    expect(report.costs.breakEvenPerTao).toBeCloseTo((0.006 * trained.length) / 1.000000001, 9);
    const csv = earningsToCsv(report.rows, 'EUR');
    expect(csv).toContain(',12,gpu,0.006,EUR');
    expect(earningsFromCsv(csv)).toEqual(report.rows);
    // No price set: energy still counted, no cost, no break-even.
    const unpriced = earningsReport(await ledger.summaries(), tracker.payouts, Infinity, { ...costs, pricePerKWh: null });
    expect(unpriced.costs).toMatchObject({ cost: null, breakEvenPerTao: null, energyWh: 12 * trained.length });
    // No τ price set (the default): the rewards are in τ only, nothing invented.
    expect(report.costs).toMatchObject({ taoPrice: null, earnedValue: null });
    expect(report.costs.days.every((d) => d.earnedValue === null)).toBe(true);
  });

  it('at the user’s τ price, says what the rewards are worth in total and per day', async () => {
    const { ledger, tracker } = await playRounds();
    const report = earningsReport(await ledger.summaries(), tracker.payouts, Infinity, { pricePerKWh: 0.5, currency: 'USD', machineWatts: null, taoPrice: 400 });
    expect(report.costs.taoPrice).toBe(400);
    // 1.000000001 τ earned at 400 USD/τ.
    expect(report.costs.earnedValue).toBeCloseTo(400.0000004, 9);
    expect(report.costs.days.length).toBeGreaterThan(0);
    for (const d of report.costs.days) expect(d.earnedValue).toBeCloseTo((Number(d.reward) / 1e9) * 400, 9);
    expect(report.costs.days.reduce((n, d) => n + (d.earnedValue ?? 0), 0)).toBeCloseTo(report.costs.earnedValue ?? NaN, 9);
  });

  it('names the bad cell of a damaged CSV', () => {
    const csv = 'window,time,trained,uploaded,applied,score,weight,reward_rao,reward_tao,reason\n1,2026-01-01T00:00:00.000Z,maybe,no,no,,,0,0,x\n';
    expect(() => earningsFromCsv(csv)).toThrow('line 2, trained: expected yes or no, got "maybe"');
  });

  it('converts rao to TAO exactly', () => {
    expect(raoToTao('0')).toBe('0');
    expect(raoToTao('1500000000')).toBe('1.5');
    expect(raoToTao('123456789012345678901')).toBe('123456789012.345678901');
  });
});

describe('earnings on the devnet chain', () => {
  it("attributes the devnet chain's emission to rounds, and the ledger adds up to what the chain credited", async () => {
    await cryptoWaitReady();
    const temp = makeTempDir();
    const keyring = new Keyring({ type: 'sr25519' });
    const chain = await DevnetChain.open({ file: path.join(temp.dir, 'chain.json'), netuid: 3, blockMs: 40, tempo: 5, minerEmissionPerTempo: 1_000_000_000n });
    try {
      const signer = (uri: string) => {
        const pair = keyring.addFromUri(uri);
        return { address: pair.address, sign: async (m: Uint8Array) => pair.sign(m) };
      };
      const me = signer('//Alice');
      const other = signer('//Bob');
      const validator = signer('//Ferdie');
      const uid = await chain.register(3, me.address, me);
      const otherUid = await chain.register(3, other.address, other);
      await chain.register(3, validator.address, validator, { validator: true });
      // The validator rates this peer 3:1 against the other one.
      await chain.setWeights(3, new Map([[uid, 3], [otherUid, 1]]), validator);

      const ledger = new RoundLedger(path.join(temp.dir, 'rounds.ndjson'));
      const tracker = await EarningsTracker.open({ chain, netuid: 3, uid, ledger, tempo: 5, file: path.join(temp.dir, 'payouts.json'), logger });
      const creditedAtStart = chain.rewardsOf(me.address);
      let window = 0;
      const unsubscribe = await chain.subscribeBlocks((block) => {
        // One round per block: every other one uploads.
        const w = window++;
        void (async () => {
          await ledger.append({ window: w, at: Date.now(), phase: 'trained' });
          if (w % 2 === 0) await ledger.append({ window: w, at: Date.now(), phase: 'uploaded', bytesUp: 1 });
          else await ledger.append({ window: w, at: Date.now(), phase: 'missed', reason: 'upload failed: simulated outage' });
          await ledger.append({ window: w, at: Date.now(), phase: 'applied' });
          await tracker.onBlock(block.number);
        })();
      });
      await vi.waitFor(() => expect(tracker.payouts.length).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 50 });
      unsubscribe();
      await tracker.onBlock(0); // waits for the settling in flight

      const report = earningsReport(await ledger.summaries(), tracker.payouts);
      expect(report.reconciled).toBe(true);
      // 3/4 of each epoch's emission, as the chain computed it, and exactly what it credited over the same epochs.
      expect(tracker.payouts.every((p) => p.emission === '750000000' && p.incentive === 0.75)).toBe(true);
      expect(BigInt(report.ledgerTotal)).toBe(BigInt(tracker.payouts.length) * 750_000_000n);
      expect(chain.rewardsOf(me.address) - creditedAtStart).toBeGreaterThanOrEqual(BigInt(report.ledgerTotal));
      const paid = report.rows.filter((r) => r.reward !== null);
      expect(paid.filter((r) => r.window % 2 === 1).every((r) => r.reward === '0' && r.reason === 'upload failed: simulated outage')).toBe(true);
      expect(paid.filter((r) => r.window % 2 === 0).every((r) => BigInt(r.reward!) > 0n && r.weight === 0.75)).toBe(true);
    } finally {
      await chain.close();
      temp.cleanup();
    }
  });
});
