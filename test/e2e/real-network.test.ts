import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { validatePayload } from '../../main/adapters/codec';
import { aggregationCandidates } from '../../main/services/round/aggregation-peers';
import { SubtensorChain } from '../../main/adapters/subtensor/subtensor-chain';
import { devnetManifest } from '../../main/devnet/devnet-manifest';
import { type DevnetNode } from '../../main/devnet/node/devnet-node';
import { type DevnetS3 } from '../../main/devnet/storage/devnet-s3';
import { windowOf } from '../../main/services/round/window-clock';
import { S3Storage } from '../../main/adapters/storage/s3-storage';
import type { StatusReport } from '../../main/shells/cli/commands/status';
import { launchChromium } from '../support/browser';
import { watchRoundBlocker } from '../support/round-blocker-watch';
import { devSigner } from '../support/dev-signer';
import { until } from '../support/devnet-peers';
import { NetworkMachine, PASSPHRASES, prepareCorpusShards, spawnTandem, startLocalNetwork, TAO } from '../support/network-peers';
import { killOnPurpose } from '../support/processes';
import { runCli } from '../support/start-app';
import { TRAINER_BINARY } from '../support/tiny-trainer';
import { NativeTrainer } from '../../main/adapters/trainer/native-trainer';
import { trainerModel, trainerSettings } from '../../main/adapters/trainer/trainer-config';
import { makeTempDir } from '../support/temp-dir';

const NETUID = 3;

/**
 * Issue 17's acceptance, as separate processes on one machine: the devnet's
 * chain served as a subtensor JSON-RPC endpoint and an S3 server with its own
 * bucket, write key and read key per peer; three `tandem` apps, each with its
 * own TANDEM_HOME and wallet, registered by extrinsics and joined with
 * --network ws://…; one `tandem validator run`. They must end with the same
 * model, survive a SIGKILL, and go on past a garbage commitment and a revoked
 * read key, naming both.
 */
describe('a real network: separate tandem processes train one model', () => {
  const temp = makeTempDir('tandem-network-');
  let node: DevnetNode;
  let s3: DevnetS3;
  let chain: SubtensorChain;
  let manifestFile: string;
  /** The signed manifest as published, its URL, and its owner (the validator's hotkey). */
  const published = new Map<string, string>();
  let manifestServer: http.Server | undefined;
  let manifestUrl: string;
  let owner: string;
  /** Train shards the run lists (each peer downloads its assigned ones). */
  let trainShards = 0;
  let url: string;
  const peers: NetworkMachine[] = [];
  const validatorMachine = new NetworkMachine('validator', path.join(temp.dir, 'validator'));
  /** Joins the run when it is well under way. */
  const lateMachine = new NetworkMachine('late', path.join(temp.dir, 'late'));
  /** A cheater with its own wallet and bucket: `tandem adversary`, a process of its own. */
  const copierMachine = new NetworkMachine('copier', path.join(temp.dir, 'copier'));
  let validator: ReturnType<typeof spawnTandem> | undefined;
  const readKeys = new Map<string, string>();

  const digestsOf = (machine: NetworkMachine) => machine.digests(url, NETUID);
  /** Windows every peer applied, each with the one digest they all hold (fails on any difference). */
  async function commonModels(machines: readonly NetworkMachine[]): Promise<Map<number, string>> {
    const all = await Promise.all(machines.map(digestsOf));
    const common = new Map<number, string>();
    for (const [window, digest] of all[0]!) {
      if (all.every((d) => d.has(window))) {
        expect(all.map((d) => d.get(window)), `window ${window}`).toEqual(all.map(() => digest));
        common.set(window, digest);
      }
    }
    return common;
  }
  const status = async (machine: NetworkMachine): Promise<StatusReport> => JSON.parse(await machine.cli(['status', '--json'])) as StatusReport;

  // Five wallets made and registered through the CLI, the validator's stake, the run created and three peers started:
  // 110-120 s on two cores, so the e2e hooks' 120 s limit failed it now and then (seen: 117 s, then the limit).
  beforeAll(async () => {
    await cryptoWaitReady();
    const base = devnetManifest();
    ({ node, s3, url } = await startLocalNetwork(temp.dir, NETUID));
    chain = await SubtensorChain.open({ name: 'test', endpoint: url });
    manifestFile = path.join(temp.dir, 'run.json');

    // Every machine: its own wallet, funded by a transfer from the devnet's faucet key, registered by its own extrinsic.
    for (const name of ['a', 'b', 'c']) peers.push(new NetworkMachine(name, path.join(temp.dir, name)));
    const machines = [validatorMachine, ...peers, lateMachine, copierMachine];
    for (const machine of machines) await machine.createWallet();
    const subnet = ['--network', url, '--netuid', String(NETUID)];
    const alice = devSigner('//Alice');
    for (const machine of machines) {
      await chain.transfer(machine.coldkey, 2000n * TAO, alice);
      const registered = await machine.cli(['register', ...subnet, '--yes', '--coldkey-passphrase-env', 'CP']);
      expect(registered).toMatch(/Registered: uid \d+ on subnet 3/);
      // What the burn buys, said before the coldkey signs: the immunity period in blocks and as a time on this chain.
      expect(registered).toMatch(/Nobody can take its place for 4096 blocks, about [\d.]+ (hours|minutes) \(the subnet's immunity period\)/);
    }
    // The validator stakes for its permit (given at the next epoch).
    await validatorMachine.cli(['stake', ...subnet, '--amount', '1000', '--yes', '--coldkey-passphrase-env', 'CP']);
    // Each machine's own bucket, with a write key that stays with it and a read key it publishes.
    for (const machine of machines) {
      const bucket = `peer-${machine.name}`;
      await s3.createBucket(bucket);
      const keys = { write: await s3.issueKey({ bucket, access: 'write' }), read: await s3.issueKey({ bucket, access: 'read' }) };
      readKeys.set(machine.name, keys.read.accessKeyId);
      await machine.setStorage(s3.endpoint, bucket, keys);
    }

    // The validator's owner creates the run: its token shards into its bucket, listed by URL, size and sha256 in the
    // manifest it signs; it publishes the run's checkpoints (every 2 windows) for the peers that join late.
    const shardsDir = path.join(temp.dir, 'shards');
    prepareCorpusShards(shardsDir);
    owner = validatorMachine.hotkey;
    const checkpoints = { publisher: owner, everyWindows: 2, keep: 2 };
    // It owns the subnet too (SubnetOwnerHotkey): its run is then found from the subnet alone.
    await node.setSubnetOwnerHotkey(owner);
    fs.writeFileSync(manifestFile, JSON.stringify({ ...base, name: 'network-test', chain: { network: url, netuid: NETUID }, checkpoints }));
    // And it starts from its own weights (the run's model from another seed, before any window), not the model's seeded ones.
    const initialFile = path.join(temp.dir, 'initial.safetensors');
    const maker = new NativeTrainer({ executable: TRAINER_BINARY, model: { ...trainerModel(base.model), init_seed: 5 }, train: trainerSettings(base), checkpointFile: initialFile, peerId: 'owner', logger: pino({ level: 'silent' }) });
    maker.start();
    await maker.checkpoint().finally(() => maker.stop());
    const created = await validatorMachine.cli(['run', 'create', manifestFile, '--shards', shardsDir, '--initial', initialFile, '--hotkey-passphrase-env', 'HP', '--storage-passphrase-env', 'SP']);
    expect(created).toContain('uploaded the initial weights');
    expect(created).toMatch(new RegExp(`Created network-test, owned by ${owner}: .*s3://peer-validator/runs/subnet-${NETUID}/run\\.json`));
    expect(created).toContain(`tandem start --network ${url} --netuid ${NETUID}\n`);
    const signed = fs.readFileSync(path.join(temp.dir, 'run.signed.json'), 'utf8');
    trainShards = (JSON.parse(signed) as { manifest: { data: { shards: Array<{ url: string; split: string }> } } }).manifest.data.shards.filter((s) => s.split === 'train').length;
    published.set('/run.json', signed);
    // The same file with one value changed on the way (the subnet, 3 → 4).
    published.set('/tampered.json', signed.replace(`"netuid": ${NETUID}`, `"netuid": ${NETUID + 1}`));
    const server = http.createServer((req, res) => {
      const body = published.get(req.url ?? '');
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(body ?? '');
    });
    manifestServer = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    manifestUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/run.json`;
    const run = ['--network', url, '--manifest', manifestUrl, '--run-owner', owner];
    validator = spawnTandem(['validator', 'run', ...run, '--hotkey-passphrase-env', 'HP', '--storage-passphrase-env', 'SP'], validatorMachine.env);
    await Promise.all(peers.map((p) => p.start(url, manifestUrl, owner)));
  }, 300_000);

  afterAll(async () => {
    await Promise.all([...peers.map((p) => p.app?.stop()), lateMachine.app?.stop(), validator?.stop()]);
    await chain?.close();
    // Unset where beforeAll failed before it: close(resolve) on nothing would never resolve.
    if (manifestServer) await new Promise((resolve) => manifestServer!.close(resolve));
    await s3?.close();
    await node?.close();
    if (!process.env["TANDEM_KEEP_TEST_DIR"]) temp.cleanup();
  });

  it('three peers that know each other only through the chain train one model; the validator\u2019s weights are on chain', async () => {
    // Refused: a wrong key, at the server.
    const wrong = new S3Storage({ endpoint: s3.endpoint, bucket: 'peer-a', accessKeyId: readKeys.get('a')!, secretAccessKey: 'not-the-secret' });
    await expect(wrong.get('anything')).rejects.toThrow(/SignatureDoesNotMatch/);
    wrong.close();

    // Everyone joins at the start of one window, so they all start from the run's first weights together.
    await until(() => windowOf(node.blockNumber, devnetManifest().windows.blocksPerWindow).blockInWindow === 0, () => 'no window start');
    await Promise.all(peers.map((p) => p.call('round.join')));
    // The validator, like every peer, started from the owner's weights, fetched from its bucket with the published read key.
    await until(() => validator?.output().includes(`Downloaded the run's initial weights (s3://peer-validator/runs/subnet-${NETUID}/initial.safetensors)`) ?? false, () => `validator: ${validator?.output().slice(-2000)}`);
    await until(async () => (await commonModels(peers)).size >= 3, async () => `applied: ${JSON.stringify(await Promise.all(peers.map(async (p) => [...(await digestsOf(p)).keys()])))}\n${validator?.output().slice(-2000)}`, 200_000);

    // Each peer fetched its assigned shards from the owner's bucket into its shard cache, and nothing else.
    for (const machine of peers) {
      const cached = fs.readdirSync(path.join(machine.home, 'data', 'shards', 'cache')).filter((f) => /^[0-9a-f]{64}\.bin$/.test(f));
      expect(cached.length).toBeGreaterThanOrEqual(2);
      expect(cached.length).toBeLessThanOrEqual(trainShards);
    }
    expect(trainShards).toBeGreaterThan(2);

    // The validator validated windows and its weights are on chain.
    const validatorUid = (await chain.uidOf(NETUID, validatorMachine.hotkey))!;
    await until(async () => ((await chain.api.query['subtensorModule']!['weights']!(NETUID, validatorUid)) as unknown as unknown[]).length > 0, () => `no weights on chain; validator said:\n${validator?.output().slice(-2000)}`, 120_000);
    expect(validator!.output()).toMatch(/window \d+: /);
  });

  it('a cheater as a process of its own (tandem adversary --kind free-rider, its own wallet and bucket) re-uploads a\u2019s update; the validator finds it made of a\u2019s', async () => {
    const victim = (await chain.uidOf(NETUID, peers[0]!.hotkey))!;
    const copierUid = (await chain.uidOf(NETUID, copierMachine.hotkey))!;
    const run = ['--network', url, '--manifest', manifestUrl, '--run-owner', owner, '--hotkey-passphrase-env', 'HP', '--storage-passphrase-env', 'SP'];
    // A kind that copies needs its victim named, said in one line before anything joins.
    const { code, stderr } = await runCli(['adversary', '--kind', 'free-rider', ...run], copierMachine.env);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--kind free-rider .*name its victim with --victims <uid>/);
    const copier = spawnTandem(['adversary', '--kind', 'free-rider', '--victims', String(victim), ...run], copierMachine.env);
    onTestFinished(() => copier.stop());
    await until(() => new RegExp(`Cheating as free-rider .* uid ${copierUid}, victims ${victim}`).test(copier.output()), () => `adversary: ${copier.output().slice(-2000)}`, 60_000);
    // Its upload is a's update as it is: explained in full by a's upload, either landed before it (copied) or too close to order (a tie).
    const found = new RegExp(`window \\d+: .*\\b${copierUid}:-?[\\d.]+ x(0\\.9\\d|1\\.00)(<-|~)${victim}\\b`);
    await until(() => found.test(validator!.output()), () => `validator:\n${validator?.output().slice(-3000)}\nadversary:\n${copier.output().slice(-1500)}`, 180_000);
    expect(copier.output()).toMatch(/window \d+: uploaded as free-rider/);
  });

  it('a peer killed with SIGKILL mid-window trains again within a window, back on the same model; nothing stored is corrupt', async () => {
    const b = peers[1]!;
    // Asked over its RPC endpoint, not with `tandem status` (a new process each time, a second or more under load):
    // a devnet-size window trains for a second or two, which a poll that slow can miss for a whole minute.
    await until(async () => (await b.call<{ phase: string }>('round.get')).phase === 'training', () => 'b never trained', 120_000);
    const killedAt = node.blockNumber;
    killOnPurpose(b.app!.process, 'SIGKILL');
    await new Promise((resolve) => b.app!.process.once('exit', resolve));
    await b.start(url, manifestUrl, owner);
    await b.call('round.join');
    const windowAtKill = windowOf(killedAt, 10).window;
    // Trains again within one window of the restart (the join waits for the next window's start).
    await until(async () => (await b.ledger(url, NETUID).summaries()).some((s) => s.window > windowAtKill && s.phases.includes('trained')), () => 'b did not train again', 60_000);
    const restartedWindow = Math.min(...(await b.ledger(url, NETUID).summaries()).filter((s) => s.window > windowAtKill && s.phases.includes('trained')).map((s) => s.window));
    expect(restartedWindow).toBeLessThanOrEqual(windowOf(node.blockNumber, 10).window);
    expect(restartedWindow - windowAtKill).toBeLessThanOrEqual(2);
    // Same model again, for windows after the restart.
    await until(async () => [...(await commonModels(peers)).keys()].filter((w) => w >= restartedWindow).length >= 2, () => 'no common model after the restart', 120_000);

    // Every object in every bucket is whole: updates that the codec validates, sync reports that parse.
    for (const machine of peers) {
      const { accessKeyId, secretAccessKey } = s3.keys(`peer-${machine.name}`).find((k) => k.access === 'write')!;
      const bucket = new S3Storage({ endpoint: s3.endpoint, bucket: `peer-${machine.name}`, accessKeyId, secretAccessKey });
      const objects = await bucket.list('');
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects.filter((o) => o.key.startsWith('gradient-'))) {
        expect((await validatePayload((await bucket.get(object.key))!)).ok, object.key).toBe(true);
      }
      bucket.close();
    }
  });

  it('the run as published: inspect checks its signature, and a copy with one value changed is refused', async () => {
    const inspected = await runCli(['run', 'inspect', manifestUrl, '--run-owner', owner], validatorMachine.env);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toContain(`network-test: signed by ${owner} (signature checked)`);
    expect(inspected.stdout).toMatch(/this app\s+can join/);
    // Found from the chain alone: the subnet owner's commitment names its bucket, where the run lies under the subnet's key.
    const found = await runCli(['run', 'inspect', '--network', url, '--netuid', String(NETUID)], validatorMachine.env);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain(`network-test: signed by ${owner} (signature checked)`);
    expect(found.stdout).toContain(`source    s3://peer-validator/runs/subnet-${NETUID}/run.json`);
    const tampered = manifestUrl.replace('/run.json', '/tampered.json');
    const refused = await runCli(['run', 'inspect', tampered], validatorMachine.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/tampered\.json: bad signature/);
    const start = await runCli(['start', '--headless', '--network', url, '--manifest', tampered], { ...validatorMachine.env, TANDEM_HOME: path.join(temp.dir, 'tamper-victim') });
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/bad signature/);
  });

  it('a peer that joins 5 windows late starts from the run\u2019s checkpoint, another back after 3 windows replays them; both hold the same model as the others', async () => {
    const [a, b] = peers as [NetworkMachine, NetworkMachine];
    const firstWindow = Math.min(...(await digestsOf(a)).keys());
    await until(() => windowOf(node.blockNumber, 10).window >= firstWindow + 5, () => 'the run is not 5 windows old');
    // The validator publishes the run's checkpoints in its own bucket, the newest two of them.
    const { accessKeyId, secretAccessKey } = s3.keys('peer-validator').find((k) => k.access === 'write')!;
    const published = new S3Storage({ endpoint: s3.endpoint, bucket: 'peer-validator', accessKeyId, secretAccessKey });
    const records = async () => (await published.list('checkpoint-')).filter((o) => o.key.endsWith('.json')).map((o) => o.key);
    await until(async () => (await records()).length === 2, async () => `checkpoints: ${JSON.stringify(await records())}\n${validator?.output().slice(-2000)}`, 60_000);
    published.close();

    // Meanwhile b stops for 3 windows and comes back: it replays the windows it missed, aggregating whom the run did.
    await b.app!.stop();
    const stoppedAt = windowOf(node.blockNumber, 10).window;
    // The late peer names the run by its subnet alone: no URL, no owner typed.
    await lateMachine.start(url, { netuid: NETUID });
    // Its Dashboard, watched from before the join: every sentence the live round card says while it waits.
    const browser = await launchChromium();
    // Closed below once read; this closes it too if a step before that fails.
    onTestFinished(() => browser.close());
    const seenOnDashboard = await watchRoundBlocker(await browser.newPage(), lateMachine.app!.url);
    await lateMachine.call('round.join');
    await until(() => windowOf(node.blockNumber, 10).window >= stoppedAt + 3, () => 'three windows did not pass');
    await b.start(url, manifestUrl, owner);
    await b.call('round.join');
    const late = lateMachine.ledger(url, NETUID);
    await until(async () => (await late.summaries()).some((s) => s.phases.includes('trained')), async () => `the late peer did not train: ${JSON.stringify((await status(lateMachine)).round)}`, 120_000);
    // The user saw it fetch the run's checkpoint, or replay the windows since.
    const seen = await seenOnDashboard();
    await browser.close();
    expect(seen.join('\n')).toMatch(/Downloading the run's checkpoint of window \d+|Loading the run's checkpoint|Catching up: window \d+ of \d+/);
    const summaries = await late.summaries();
    const firstTrained = Math.min(...summaries.filter((s) => s.phases.includes('trained')).map((s) => s.window));
    expect(firstTrained - firstWindow).toBeGreaterThanOrEqual(5);
    // The same model as the others at the end of every window from its first trained one on.
    await until(async () => [...(await commonModels([a, b, lateMachine])).keys()].filter((w) => w >= Math.max(firstTrained, stoppedAt + 3)).length >= 2, async () => `late: ${JSON.stringify([...(await digestsOf(lateMachine))])}\na: ${JSON.stringify([...(await digestsOf(a))].slice(-6))}`, 120_000);
    // It started from a checkpoint (the weights the others held then: commonModels compared them too), and replayed
    // only the windows after it, never from the run's first.
    const { records: ledger } = await late.read();
    const loaded = ledger.filter((r) => r.phase === 'applied' && /run's checkpoint/.test(r.reason ?? ''));
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.window).toBeGreaterThan(firstWindow);
    expect(loaded[0]!.modelDigest).toBe((await digestsOf(a)).get(loaded[0]!.window));
    for (const r of ledger.filter((r) => /catching up/.test(r.reason ?? ''))) expect(r.window).toBeGreaterThan(loaded[0]!.window);
    // Five trainers and a validator on this machine's two cores would make every window late: the late peer leaves.
    await lateMachine.app!.stop();
  });

  it('a garbage commitment and a revoked read key: the others go on, and status names each reason', async () => {
    const mallory = devSigner('//Mallory');
    await chain.transfer(mallory.address, 10n * TAO, devSigner('//Alice'));
    const malloryUid = await chain.register(NETUID, mallory.address, mallory);
    await chain.commit(NETUID, 'garbage from a foreign client', mallory);
    const [a, , c] = peers as [NetworkMachine, NetworkMachine, NetworkMachine];
    const cUid = (await chain.uidOf(NETUID, c.hotkey))!;
    // A peer gathers only the miners with incentive (once anyone has some): a reads c's bucket, and can find its key
    // revoked, only while c is one of them. An epoch that gave c no weight (a low score in a short run) would leave
    // a never asking; wait for one that did, then revoke.
    const miners = new Set([...peers, lateMachine].map((m) => m.hotkey));
    await until(
      async () => aggregationCandidates((await chain.metagraph(NETUID)).neurons, null, miners).some((n) => n.uid === cUid),
      async () => `c is not among the peers a gathers: ${JSON.stringify((await chain.metagraph(NETUID)).neurons.map((n) => [n.uid, n.incentive]))}`,
      90_000,
    );
    await s3.revokeKey(readKeys.get('c')!);
    const after = Math.max(...(await digestsOf(a)).keys());

    await until(
      async () => {
        const report = await status(a);
        const problems = new Map(report.peers.map((p) => [p.uid, p.problem]));
        return /unreachable: not a Tandem storage commitment/.test(problems.get(malloryUid) ?? '') && /403/.test(problems.get(cUid) ?? '');
      },
      // On failure: what a saw of each peer, where a's own round stood, and a's last ledger lines (a stale report means a stopped gathering).
      async () => {
        const report = await status(a);
        const last = (await a.ledger(url, NETUID).read()).records.slice(-8);
        return `peers as a saw them: ${JSON.stringify(report.peers)}\na's round: ${JSON.stringify(report.round)}\na's last ledger records: ${JSON.stringify(last)}`;
      },
      90_000,
    );
    // The run goes on for everyone, on one model (c leaves its own unreadable update out, as the others do). A key revoked
    // mid-gather may split them for a window (read by some before, refused to others after): whoever came apart from the
    // run's model finds out from the publisher's record and takes its checkpoint again, so every split is repaired and
    // the newest windows are the same on all three.
    const oneModelAgain = async () => {
      const all = await Promise.all(peers.map(digestsOf));
      const repairs = (await Promise.all(peers.map(async (m) => (await m.ledger(url, NETUID).read()).records))).flat().filter((r) => /had differed from the run's since window/.test(r.reason ?? ''));
      const common = [...all[0]!.keys()].filter((w) => w > after && all.every((d) => d.has(w))).sort((x, y) => x - y);
      const split = common.filter((w) => new Set(all.map((d) => d.get(w))).size > 1);
      const agreeing = common.filter((w) => !split.includes(w));
      return split.every((w) => repairs.some((r) => r.window >= w)) && agreeing.length >= 2 && split.every((w) => w < agreeing.at(-2)!);
    };
    await until(oneModelAgain, async () => `the run did not go on as one model: ${JSON.stringify(await Promise.all(peers.map(async (p) => [...(await digestsOf(p))].slice(-6))))}`, 180_000);
    const { records } = await c.ledger(url, NETUID).read();
    expect(records.some((r) => r.window > after && /own update left out/.test(r.reason ?? ''))).toBe(true);
    // The CLI's status without --json says the same in words.
    const { stdout } = await runCli(['status'], { TANDEM_HOME: a.home, ...PASSPHRASES });
    expect(stdout).toMatch(new RegExp(`uid ${malloryUid}: unreachable: not a Tandem storage commitment`));
    // And so does a's Network page, in the Problem column of each peer's row.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(a.app!.url);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Network', exact: true }).click();
      const problemOf = async (uid: number) => (await page.getByRole('table', { name: 'Peers' }).locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${uid}\\b`) }) }).locator('td').last().textContent()) ?? '';
      await expect.poll(() => problemOf(malloryUid), { timeout: 20_000 }).toMatch(/unreachable: not a Tandem storage commitment/);
      await expect.poll(() => problemOf(cUid), { timeout: 20_000 }).toMatch(/403/);
    } finally {
      await browser.close();
    }
  });
});
