/**
 * Round trips with the real tandem-trainer binary over NDJSON (build it with
 * `node native/scripts/trainer-build.mjs`). Every event the binary prints is
 * validated with the zod schemas of main/adapters/trainer/protocol.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  encodeTrainerCommand,
  parseTrainerEvent,
  type TrainerCommand,
  type TrainerEvent,
} from '../../main/adapters/trainer/protocol';
import { batchPositions } from '../../main/services/data/batch-sampler';
import { skippedUnless } from '../support/skip-note';

const binary = resolve(__dirname, '../../build/trainer/tandem-trainer');
const built = existsSync(binary);
const notBuilt = `${binary} is not built (run node native/scripts/trainer-build.mjs)`;

const scratch = mkdtempSync(join(tmpdir(), 'tandem-trainer-proto-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Generated training text: numbered sentences (test data, not a corpus). */
function makeDataDir(): string {
  const text = Array.from({ length: 300 }, (_, i) => `Line ${i}: the quick brown fox jumps over ${i % 7} dogs.\n`).join('');
  const input = join(scratch, 'input.txt');
  writeFileSync(input, text);
  const dir = join(scratch, 'data');
  const result = spawnSync(binary, ['prepare-data', '--input', input, '--output', dir, '--shard-tokens', '6000'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`prepare-data failed: ${result.stderr}`);
  return dir;
}

/**
 * The tokens of an llm.c .bin version 1 shard written again as a NumPy .npy
 * array of dtype `<u4` (format 1.0, built here byte by byte as
 * numpy.lib.format writes it), so the trainer reads the same tokens in
 * another format and width.
 */
function binToNpyU4(binFile: string, npyFile: string): void {
  const bin = readFileSync(binFile);
  const count = (bin.length - 1024) / 2;
  let header = `{'descr': '<u4', 'fortran_order': False, 'shape': (${count},), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = Buffer.alloc(10 + header.length + 4 * count);
  Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(out, 0);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  for (let i = 0; i < count; i += 1) out.writeUInt32LE(bin.readUInt16LE(1024 + 2 * i), 10 + header.length + 4 * i);
  writeFileSync(npyFile, out);
}

/** `tandem-trainer sample` with these shard arguments (`--data-dir D` or `--shard F`...). */
function samplePositions(shardArgs: string[], peer: string, window: number, step: number): { positions: Array<{ shard: number; start: number }>; shards: string[] } {
  const result = spawnSync(
    binary,
    ['sample', ...shardArgs, '--peer', peer, '--window', String(window), '--step', String(step), '--batch-size', '8', '--seq-len', '16'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`sample failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { positions: Array<{ shard: number; start: number }>; shards: string[] };
}

/** Trainers a test started; any still running when it ends (it failed first) is killed. */
const trainers = new Set<Trainer>();
afterEach(async () => {
  const left = [...trainers];
  trainers.clear();
  await Promise.all(left.map((t) => t.stop()));
});

class Trainer {
  readonly events: TrainerEvent[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(args: string[] = []) {
    this.child = spawn(binary, args, { stdio: 'pipe' });
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
    trainers.add(this);
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.events.push(parseTrainerEvent(line)); // throws (fails the test) on a protocol violation
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(command: TrainerCommand): void {
    this.child.stdin.write(encodeTrainerCommand(command));
  }

  sendRaw(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  async waitFor<T extends TrainerEvent>(match: (e: TrainerEvent) => e is T, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(this.events)}`);
      await new Promise<void>((res) => {
        this.waiters.push(res);
        setTimeout(res, 200);
      });
    }
  }

  async done(id: string): Promise<Extract<TrainerEvent, { event: 'done' }>> {
    const event = await this.waitFor(
      (e): e is TrainerEvent => (e.event === 'done' || e.event === 'error') && e.id === id,
    );
    if (event.event !== 'done') throw new Error(`command ${id} failed: ${JSON.stringify(event)}`);
    return event;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Kills it unless it has exited, and waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.kill();
    await this.exited;
  }
}

const tinyModel = {
  vocab_size: 258,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 32,
};
const tinyTrain = { seq_len: 16, batch_size: 4, lr: 0.003, inner_steps: 3 };

describe.skipIf(!built)(`tandem-trainer NDJSON protocol${skippedUnless(built, notBuilt)}`, () => {
  it('says hello, survives malformed input, and shuts down cleanly', async () => {
    const t = new Trainer(['--heartbeat-seconds', '0.2']);
    const hello = await t.waitFor((e): e is Extract<TrainerEvent, { event: 'hello' }> => e.event === 'hello');
    expect(hello.protocol).toBe(1);
    expect(hello.backend).toBe('cpu');
    if (hello.devices.length === 0) expect(hello.no_device_reason).toMatch(/no CUDA device/);

    t.sendRaw('this is not json');
    t.sendRaw('{"v":1,"id":"u","cmd":"teleport"}');
    t.sendRaw('{"v":99,"id":"w","cmd":"load"}');
    const errors = () => t.events.filter((e) => e.event === 'error');
    await t.waitFor((e): e is TrainerEvent => e.event === 'error' && e.id === 'w');
    expect(errors().map((e) => (e.event === 'error' ? e.code : ''))).toEqual([
      'malformed_json',
      'unknown_command',
      'unsupported_version',
    ]);
    await t.waitFor((e): e is TrainerEvent => e.event === 'heartbeat');

    t.send({ v: 1, id: 'bye', cmd: 'shutdown' });
    await t.done('bye');
    expect(await t.exited).toBe(0);
  });

  it('trains a window, checkpoints, applies the outer step, evaluates, and resumes', async () => {
    const dataDir = makeDataDir();
    const payload = join(scratch, 'w0.tndc');
    const checkpoint = join(scratch, 'ckpt.safetensors');
    const t = new Trainer(['--heartbeat-seconds', '0']);
    t.send({ v: 1, id: 'load', cmd: 'load', model: tinyModel, data_dir: dataDir, train: tinyTrain });
    const loaded = await t.done('load');
    expect(loaded.cmd === 'load' && loaded.result.parameters).toBeGreaterThan(10_000);

    t.send({ v: 1, id: 'train', cmd: 'train_window', window: 0, peer_id: 'peer-1', payload_path: payload });
    const trained = await t.done('train');
    if (trained.cmd !== 'train_window') throw new Error('wrong done event');
    expect(trained.result.steps).toBe(3);
    expect(statSync(payload).size).toBe(trained.result.payload_bytes);
    const steps = t.events.filter((e) => e.event === 'step');
    expect(steps).toHaveLength(3);
    expect(steps.every((s) => s.event === 'step' && s.tokens_per_s > 0 && s.lr > 0)).toBe(true);

    t.send({ v: 1, id: 'ckpt', cmd: 'checkpoint', path: checkpoint });
    await t.done('ckpt');
    expect(readdirSync(scratch).filter((f) => f.includes('.tmp-'))).toEqual([]);

    t.send({ v: 1, id: 'outer', cmd: 'apply_outer', payloads: [payload, join(scratch, 'missing.tndc')] });
    const outer = await t.done('outer');
    if (outer.cmd !== 'apply_outer') throw new Error('wrong done event');
    expect(outer.result.used).toEqual([0]);
    expect(outer.result.dropped.map((d) => d.index)).toEqual([1]);
    expect(outer.result.model_digest).toMatch(/^[0-9a-f]{16}$/);

    t.send({ v: 1, id: 'eval', cmd: 'evaluate', peer_id: 'peer-1', window: 0, steps: 3, payload_path: payload, lr: 0.4 });
    const evaluated = await t.done('eval');
    if (evaluated.cmd !== 'evaluate') throw new Error('wrong done event');
    expect(evaluated.result.loss_before).toBeGreaterThan(0);
    expect(typeof evaluated.result.loss_after).toBe('number');
    // Each step's batch loss too (the validator's spread), averaging to the reported loss.
    const { losses_before: perBefore = [], losses_after: perAfter = [] } = evaluated.result;
    expect(perBefore).toHaveLength(3);
    expect(perAfter).toHaveLength(3);
    expect(perBefore.reduce((a, b) => a + b, 0) / 3).toBeCloseTo(evaluated.result.loss_before ?? Number.NaN, 5);
    expect(perAfter.reduce((a, b) => a + b, 0) / 3).toBeCloseTo(evaluated.result.loss_after ?? Number.NaN, 5);

    t.send({ v: 1, id: 'bye', cmd: 'shutdown' });
    await t.done('bye');
    expect(await t.exited).toBe(0);

    // A restarted trainer continues from the checkpoint (window still pending).
    const r = new Trainer(['--heartbeat-seconds', '0']);
    r.send({ v: 1, id: 'load', cmd: 'load', checkpoint, data_dir: dataDir });
    const resumed = await r.done('load');
    if (resumed.cmd !== 'load') throw new Error('wrong done event');
    expect(resumed.result.inner_step).toBe(3);
    expect(resumed.result.window_pending).toBe(true);
    // The same update applied to the same weights gives a bit-identical model: the same digest.
    r.send({ v: 1, id: 'outer', cmd: 'apply_outer', payloads: [payload] });
    const again = await r.done('outer');
    if (again.cmd !== 'apply_outer') throw new Error('wrong done event');
    expect(again.result.model_digest).toBe(outer.result.model_digest);
    r.kill();
    await r.exited;
  });

  it('trains with FSDP over simulated CPU ranks and reports NCCL availability', async () => {
    const dataDir = makeDataDir();
    const t = new Trainer(['--heartbeat-seconds', '0']);
    const hello = await t.waitFor((e): e is Extract<TrainerEvent, { event: 'hello' }> => e.event === 'hello');
    expect(hello.capabilities).toContain('fsdp');
    if (!hello.nccl.available) expect(hello.nccl.reason).toMatch(/libnccl\.so\.2/);
    expect(hello.capabilities.includes('nccl')).toBe(hello.nccl.available && hello.cuda_compiled);
    // CUDA builds say what runs the GEMMs: cuBLAS when it loads, else our kernels and why.
    expect(hello.gemm !== undefined).toBe(hello.cuda_compiled);
    if (hello.gemm) {
      expect(hello.gemm.path === 'cublas').toBe(hello.gemm.cublas.available && !process.env.TANDEM_CUDA_GEMM);
      if (!hello.gemm.cublas.available) expect(hello.gemm.cublas.reason).toMatch(/libcublas/);
    }
    // Every build says what runs the CPU GEMMs: OpenBLAS when it was built in, else our kernel and why.
    expect(hello.cpu_gemm).toBeDefined();
    if (hello.cpu_gemm) {
      const forced = process.env.TANDEM_CPU_GEMM === 'reference';
      expect(hello.cpu_gemm.path === 'openblas').toBe(hello.cpu_gemm.openblas.available && !forced);
      if (hello.cpu_gemm.openblas.available) expect(hello.cpu_gemm.openblas.version).toMatch(/^\d+\.\d+/);
      else expect(hello.cpu_gemm.openblas.reason).toMatch(/OpenBLAS|openblas/);
    }
    const train = { ...tinyTrain, batch_size: 6 };
    t.send({ v: 1, id: 'load', cmd: 'load', model: tinyModel, data_dir: dataDir, train, shards: 3 });
    const loaded = await t.done('load');
    if (loaded.cmd !== 'load') throw new Error('wrong done event');
    expect(loaded.result).toMatchObject({ backend: 'cpu', shards: 3, collective: 'cpu', micro_batch: 2 });
    const payload = join(scratch, 'fsdp.tndc');
    t.send({ v: 1, id: 'train', cmd: 'train_window', window: 0, peer_id: 'peer-1', steps: 2, payload_path: payload });
    const trained = await t.done('train');
    expect(trained.cmd === 'train_window' && trained.result.loss_last).toBeGreaterThan(0);
    t.kill();
    await t.exited;
    // The schema refuses what the trainer would refuse.
    expect(() => encodeTrainerCommand({ v: 1, cmd: 'load', model: tinyModel, devices: [0, 1] })).toThrow(
      /backend cuda/,
    );
    expect(() =>
      encodeTrainerCommand({ v: 1, cmd: 'load', model: tinyModel, backend: 'cuda', devices: [1, 1] }),
    ).toThrow(/repeat/);
  });

  it('loses at most the current window when killed mid-window', async () => {
    const dataDir = makeDataDir();
    const checkpoint = join(scratch, 'kill.safetensors');
    const t = new Trainer(['--heartbeat-seconds', '0']);
    t.send({ v: 1, id: 'load', cmd: 'load', model: tinyModel, data_dir: dataDir, train: tinyTrain });
    await t.done('load');
    t.send({ v: 1, id: 'w0', cmd: 'train_window', window: 0, peer_id: 'p', payload_path: join(scratch, 'k0.tndc') });
    await t.done('w0');
    t.send({ v: 1, id: 'o0', cmd: 'apply_outer', payloads: [join(scratch, 'k0.tndc')] });
    await t.done('o0');
    t.send({ v: 1, id: 'c0', cmd: 'checkpoint', path: checkpoint });
    await t.done('c0');
    const sizeAfterWindow0 = statSync(checkpoint).size;
    // Window 1 is long; kill the process as soon as it has made progress.
    t.send({ v: 1, id: 'w1', cmd: 'train_window', window: 1, peer_id: 'p', steps: 100_000,
      payload_path: join(scratch, 'k1.tndc') });
    await t.waitFor((e): e is TrainerEvent => e.event === 'step' && e.id === 'w1' && e.step >= 2);
    t.kill();
    await t.exited;

    const r = new Trainer(['--heartbeat-seconds', '0']);
    r.send({ v: 1, id: 'load', cmd: 'load', checkpoint, data_dir: dataDir });
    const resumed = await r.done('load');
    if (resumed.cmd !== 'load') throw new Error('wrong done event');
    expect(statSync(checkpoint).size).toBe(sizeAfterWindow0);
    expect(resumed.result.inner_step).toBe(tinyTrain.inner_steps); // window 0 kept, window 1 lost
    expect(resumed.result.windows_trained).toBe(1);
    expect(resumed.result.window_pending).toBe(false);
    r.send({ v: 1, id: 'w1', cmd: 'train_window', window: 1, peer_id: 'p', payload_path: join(scratch, 'k1.tndc') });
    await r.done('w1');
    r.send({ v: 1, id: 'bye', cmd: 'shutdown' });
    await r.done('bye');
    expect(await r.exited).toBe(0);
  });

  it('assigns the same batches as the TypeScript sampler', () => {
    const dataDir = makeDataDir();
    const shards = readdirSync(dataDir)
      .filter((f) => f.includes('train') && f.endsWith('.bin'))
      .sort()
      .map((f) => (statSync(join(dataDir, f)).size - 1024) / 2);
    expect(shards.length).toBeGreaterThan(1);
    for (const [peer, window, step] of [
      ['peer-1', 0, 0],
      ['5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', 123456, 29],
    ] as const) {
      const result = spawnSync(
        binary,
        ['sample', '--data-dir', dataDir, '--peer', peer, '--window', String(window), '--step', String(step),
          '--batch-size', '8', '--seq-len', '16'],
        { encoding: 'utf8' },
      );
      expect(result.status).toBe(0);
      const native = JSON.parse(result.stdout) as { positions: Array<{ shard: number; start: number }> };
      expect(batchPositions(shards, 16, peer, window, step, 8)).toEqual(native.positions);
    }
  });

  it('indexes a shard list like a folder of the same files: same positions, same batches, .bin or .npy', async () => {
    const dataDir = makeDataDir();
    const names = readdirSync(dataDir).filter((f) => f.includes('train') && f.endsWith('.bin')).sort();
    const binFiles = names.map((f) => join(dataDir, f));
    const counts = binFiles.map((f) => (statSync(f).size - 1024) / 2);
    expect(binFiles.length).toBeGreaterThan(1);
    // The same tokens as uint32 .npy files elsewhere, under other names, listed in the folder's order.
    const npyDir = join(scratch, 'npy');
    mkdirSync(npyDir, { recursive: true });
    const npyFiles = binFiles.map((_, i) => join(npyDir, `part-${String.fromCharCode(122 - i)}.npy`));
    binFiles.forEach((f, i) => binToNpyU4(f, npyFiles[i]!));
    const valFile = join(dataDir, readdirSync(dataDir).find((f) => f.includes('val'))!);
    for (const [peer, window, step] of [
      ['peer-1', 0, 0],
      ['5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', 98765, 17],
    ] as const) {
      const fromFolder = samplePositions(['--data-dir', dataDir], peer, window, step);
      const fromList = samplePositions(binFiles.flatMap((f) => ['--shard', f]), peer, window, step);
      const fromNpy = samplePositions(npyFiles.flatMap((f) => ['--shard', f]), peer, window, step);
      expect(fromFolder.shards).toEqual(binFiles);
      expect(fromList.shards).toEqual(binFiles);
      expect(fromNpy.shards).toEqual(npyFiles);
      expect(fromList.positions).toEqual(fromFolder.positions);
      expect(fromNpy.positions).toEqual(fromFolder.positions);
      // The TypeScript twin needs only the token counts, whatever holds them.
      expect(batchPositions(counts, 16, peer, window, step, 8)).toEqual(fromList.positions);
    }
    // A list in another order is another assignment.
    const reversed = samplePositions([...binFiles].reverse().flatMap((f) => ['--shard', f]), 'peer-1', 0, 0);
    expect(reversed.positions).toEqual(batchPositions([...counts].reverse(), 16, 'peer-1', 0, 0, 8));

    // Through the protocol: a window on the .npy list trains on exactly the folder's batches.
    const run = async (load: Record<string, unknown>, window: Record<string, unknown>, evaluate: Record<string, unknown>) => {
      const t = new Trainer(['--heartbeat-seconds', '0']);
      t.send({ v: 1, id: 'load', cmd: 'load', model: tinyModel, train: tinyTrain, ...load } as TrainerCommand);
      await t.done('load');
      t.send({ v: 1, id: 'eval', cmd: 'evaluate', peer_id: 'validator', window: 3, steps: 2, ...evaluate } as TrainerCommand);
      const evaluated = await t.done('eval');
      t.send({ v: 1, id: 'w', cmd: 'train_window', window: 3, peer_id: 'peer-1', payload_path: join(scratch, 'list.tndc'), ...window } as TrainerCommand);
      await t.done('w');
      const losses = t.events.flatMap((e) => (e.event === 'step' && e.id === 'w' ? [e.loss] : []));
      t.send({ v: 1, id: 'bye', cmd: 'shutdown' });
      await t.exited;
      return { losses, loss: evaluated.cmd === 'evaluate' ? evaluated.result.loss_before : null };
    };
    const folder = await run({ data_dir: dataDir }, {}, { split: 'val' });
    const listed = await run({}, { shards: npyFiles }, { shards: [valFile] });
    expect(folder.losses).toHaveLength(tinyTrain.inner_steps);
    expect(listed.losses).toEqual(folder.losses);
    expect(listed.loss).toBe(folder.loss);

    // The schema refuses what the trainer would refuse.
    const window = { v: 1, cmd: 'train_window', window: 0, peer_id: 'p', payload_path: join(scratch, 'x.tndc') } as const;
    expect(() => encodeTrainerCommand({ ...window, shards: [] })).toThrow();
    expect(() => encodeTrainerCommand({ ...window, shards: ['relative/x_train.bin'] })).toThrow(/absolute/);
    expect(() => encodeTrainerCommand({ ...window, shards: [valFile, valFile] })).toThrow(/twice/);
    expect(() => encodeTrainerCommand({ v: 1, cmd: 'evaluate', peer_id: 'p', window: 0, split: 'val', shards: [valFile] })).toThrow(/exclude/);
    expect(() => encodeTrainerCommand({ v: 1, cmd: 'load', model: tinyModel, train_shards: ['x.bin'] })).toThrow(/absolute/);
  });

  it('takes a throttle mid-window: pauses between steps and splits micro-batches, same data, window completes', async () => {
    const dataDir = makeDataDir();
    const train = { ...tinyTrain, batch_size: 8, micro_batch: 8 };
    const run = async (throttled: boolean) => {
      const t = new Trainer(['--heartbeat-seconds', '0']);
      t.send({ v: 1, id: 'load', cmd: 'load', model: tinyModel, data_dir: dataDir, train });
      await t.done('load');
      t.send({ v: 1, id: 'w', cmd: 'train_window', window: 0, peer_id: 'p', steps: 6, payload_path: join(scratch, `t-${throttled}.tndc`) });
      // Sent while the window runs (the trainer reads commands during a window); not waiting for a step
      // first, so a loaded machine cannot let the window finish before the throttle lands.
      if (throttled) t.send({ v: 1, id: 'slow', cmd: 'throttle', pause_ms: 400, micro_batch_divisor: 4 });
      const done = await t.done('w');
      const stepTimes = t.events.flatMap((e, i) => (e.event === 'step' ? [{ step: e.step, loss: e.loss, index: i }] : []));
      const throttleAt = t.events.findIndex((e) => e.event === 'done' && e.id === 'slow');
      t.send({ v: 1, id: 'bye', cmd: 'shutdown' });
      await t.exited;
      return { done, steps: stepTimes, throttleAt, doneAt: t.events.indexOf(done) };
    };
    const plain = await run(false);
    const slow = await run(true);
    // The throttle was answered while the window was still training, and the window still completed.
    expect(slow.throttleAt).toBeGreaterThan(-1);
    expect(slow.throttleAt).toBeLessThan(slow.doneAt);
    if (slow.done.cmd !== 'train_window') throw new Error('wrong done event');
    expect(slow.done.result.steps).toBe(6);
    // Every step after the throttle was answered (event order is the trainer's own) is held back by its
    // 400 ms pause, which the trainer's window time includes; without pauses this window takes ~0.1 s.
    const throttledSteps = slow.steps.filter((s) => s.index > slow.throttleAt);
    expect(throttledSteps.length).toBeGreaterThanOrEqual(4);
    expect(slow.done.result.seconds).toBeGreaterThanOrEqual(0.4 * (throttledSteps.length - 1));
    // Smaller micro-batches over the same batches: the same losses up to float summation order.
    expect(slow.steps.map((s) => s.loss)).toHaveLength(6);
    slow.steps.forEach((s, i) => expect(s.loss).toBeCloseTo(plain.steps[i]!.loss ?? Number.NaN, 3));
  });
});
