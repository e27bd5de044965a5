// UI benchmark (figures only; targets never live in tests):
//   npm run bench:ui [-- --seconds 60 --rate 20]
// Streams `rate` round events per second (plus a chain status every 2 s) from a
// real core through the headless WebSocket bridge into the Dashboard in
// Chromium, then prints the long animation frames (> 50 ms) after the first
// paint and the renderer's JS heap before and after (both after a GC).
import fs from 'node:fs';
import path from 'node:path';
import type { RoundState } from '../../contract/domains/round';
import type { ChainStatus } from '../../contract/domains/chain';
import type { CoreModule } from '../../main/core/module';
import { startHeadlessServer } from '../../main/shells/headless/server';
import { launchChromium } from '../../test/support/browser';
import { REPO_ROOT } from '../../test/support/start-app';
import { makeTempDir } from '../../test/support/temp-dir';
import { makeTestCore } from '../../test/support/test-core';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const SECONDS = arg('seconds', 60);
const RATE = arg('rate', 20);
const STEPS = 40;

/** A synthetic live round: inner steps tick, the loss falls, windows roll over, rewards arrive. */
function streamer(): CoreModule & { sent: () => number } {
  let timer: ReturnType<typeof setInterval> | undefined;
  let sent = 0;
  let emit: ((event: string, data: unknown) => void) | undefined;
  return {
    name: 'bench-streamer',
    sent: () => sent,
    handlers(ctx) {
      emit = ctx.emit as (event: string, data: unknown) => void;
      return {};
    },
    start() {
      const send = emit as (event: string, data: unknown) => void;
      const started = Date.now();
      const lossHistory: RoundState['lossHistory'] = [];
      const rewards: NonNullable<ChainStatus['me']>['recentRewards'] = [];
      let tick = 0;
      timer = setInterval(() => {
        tick++;
        const step = tick % STEPS;
        const window = 100 + Math.floor(tick / STEPS);
        lossHistory.push({ window, step, loss: 3 + Math.exp(-tick / 400) + 0.05 * Math.sin(tick) });
        if (lossHistory.length > 600) lossHistory.shift();
        const windowStart = started + Math.floor(tick / STEPS) * (STEPS * 1000) / RATE;
        const round: RoundState = {
          joined: true,
          network: 'devnet',
          window,
          block: 1000 + tick,
          windowProgress: step / STEPS,
          windowEndsAt: windowStart + (STEPS * 1000) / RATE,
          phase: 'training',
          timeline: [{ phase: 'training', startedAt: windowStart, endedAt: null, deadline: windowStart + 20_000 }],
          innerStep: step,
          innerSteps: STEPS,
          etaSeconds: (STEPS - step) / RATE,
          tokensPerSecond: 3000 + 100 * Math.sin(tick / 10),
          loss: lossHistory[lossHistory.length - 1]?.loss ?? null,
          lossHistory: [...lossHistory],
          completedRounds: Math.floor(tick / STEPS),
          lastRound: null,
          blocker: null,
        };
        send('round', round);
        sent++;
        if (tick % (2 * RATE) === 0) {
          rewards.push({ tempoIndex: rewards.length, block: 1000 + tick, emission: String(250_000_000 + rewards.length * 1_000_000), incentive: 0.25, rank: 1 + (rewards.length % 4) });
          if (rewards.length > 20) rewards.shift();
          const cumulative = rewards.reduce((sum, r) => sum + BigInt(r.emission), 0n).toString();
          const status: ChainStatus = {
            target: 'devnet',
            endpoint: null,
            netuid: 3,
            health: { state: 'connected', endpoint: 'devnet', bestBlock: 1000 + tick },
            block: 1000 + tick,
            specVersion: null,
            subnetSize: 5,
            blockSeconds: 1.5,
            immunityPeriodBlocks: 4096,
            metagraphBlock: 1000 + tick,
            me: { hotkey: '5Bench', registered: true, uid: 3, rank: { rank: 2, of: 4 }, incentive: 0.25, emissionPerTempo: '250000000', stake: '0', cumulativeRewards: cumulative, recentRewards: [...rewards], immunity: { periodBlocks: 4096, endsAtBlock: 4000, blocksLeft: Math.max(0, 3000 - tick), atRisk: false } },
            coldkeyBalance: null,
            lastError: null,
          };
          send('chain.status', status);
        }
      }, 1000 / RATE);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

async function main() {
  const staticDir = path.join(REPO_ROOT, 'dist', 'renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) throw new Error('dist/renderer is missing: run npm run build:renderer first');
  const temp = makeTempDir('tandem-bench-ui-');
  const stream = streamer();
  const { core, logger } = await makeTestCore(temp.dir, { modules: [stream] });
  await core.start();
  const server = await startHeadlessServer({ core, staticDir, host: '127.0.0.1', port: 0, logger });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // The set-up guide is done: this measures the Dashboard.
    await page.addInitScript(() => {
      localStorage.setItem('tandem.onboarding', JSON.stringify({ status: 'done', step: 'join' }));
      const frames: Array<{ start: number; duration: number }> = [];
      (window as unknown as { __frames: typeof frames }).__frames = frames;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) frames.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'long-animation-frame', buffered: true });
    });
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    await page.goto(server.url);
    await page.getByTestId('rewards-total').waitFor({ timeout: 30_000 });
    // First paint with live data is behind us; from here on every frame should be short.
    const settledAt = await page.evaluate(() => performance.now());
    const heapStart = await heap();
    const sentStart = stream.sent();
    const samples: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < SECONDS * 1000) {
      await page.waitForTimeout(Math.min(10_000, SECONDS * 1000 - (Date.now() - t0)));
      samples.push(await heap());
    }
    const heapEnd = samples[samples.length - 1] ?? (await heap());
    const frames = await page.evaluate(() => (window as unknown as { __frames: Array<{ start: number; duration: number }> }).__frames);
    const after = frames.filter((f) => f.start >= settledAt && f.duration > 50);
    const before = frames.filter((f) => f.start < settledAt && f.duration > 50);
    const mib = (b: number) => (b / 2 ** 20).toFixed(2);
    console.log(`ui bench: ${stream.sent() - sentStart} round events in ${SECONDS} s (${RATE}/s target) into the Dashboard, Chromium headless`);
    console.log(`long frames (> 50 ms) before first paint with data: ${before.length}`);
    console.log(`long frames (> 50 ms) after first paint: ${after.length}${after.length ? ` (longest ${Math.max(...after.map((f) => f.duration)).toFixed(0)} ms; ${after.map((f) => f.duration.toFixed(0)).join(', ')})` : ''}`);
    console.log(`renderer JS heap after GC: start ${mib(heapStart)} MiB, end ${mib(heapEnd)} MiB, growth ${mib(heapEnd - heapStart)} MiB`);
    console.log(`heap every 10 s (MiB): ${samples.map(mib).join(' ')}`);
  } finally {
    await browser.close();
    await server.close();
    await core.stop();
    temp.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
