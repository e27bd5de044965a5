import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { u8aToHex } from '@polkadot/util';
import { mnemonicToMiniSecret } from '@polkadot/util-crypto';
import { ContractError } from '../../../contract';
import { chainEvents, chainMethods } from '../../../contract/domains/chain';
import { walletEvents, walletMethods } from '../../../contract/domains/wallet';
import { createChainModule } from '../../../main/services/chain/chain-module';
import { ConfigStore } from '../../../main/core/config/config-store';
import type { ModuleContext } from '../../../main/core/module';
import { LogRing } from '../../../main/core/logging/log-ring';
import { REDACTED_PATHS } from '../../../main/core/logging/logger';
import { createWalletModule } from '../../../main/services/wallet/wallet-module';
import { WalletService } from '../../../main/services/wallet/wallet-service';
import { createAppStore } from '../../../renderer/src/store';
import { FakeSubtensor } from '../../support/fake-subtensor';
import { hasSubtensorFixtures, loadRuntime, recordedNeurons, SKIP_SUBTENSOR } from '../../support/subtensor-fixtures';
import { skippedUnless } from '../../support/skip-note';
import { StorageBuilder, subnetStorage } from '../../support/subtensor-storage';
import { makeTempDir } from '../../support/temp-dir';
import { BTWALLET, hasBtwallet, loadVectors, SKIP_BTWALLET } from './fixture-paths';

type Table = Record<string, { params: { parse(v: unknown): unknown }; result: { parse(v: unknown): unknown } }>;

/**
 * Acceptance: no secret (phrase, seed, private key, passphrase, keystore
 * ciphertext) appears in any contract result or event (except the one
 * wallet.reveal answer), in any log line, or in the renderer's store.
 * The steps run in order on one core; the btcli and chain steps need the
 * shared fixtures and are skipped, with the reason, without them.
 */
describe('secrets stay in the core', { timeout: 60_000 }, () => {
  const temp = makeTempDir();
  const secrets = new Set<string>();
  const messages: string[] = []; // every result and event, as JSON
  const rawLogLines: string[] = [];
  const ring = new LogRing();
  let chainServer: FakeSubtensor | undefined;
  let handlers: Record<string, (p: unknown) => unknown>;
  let modules: Array<ReturnType<typeof createWalletModule>>;
  const store = createAppStore();

  const addSecret = (value: string | undefined | null) => {
    if (!value) return;
    secrets.add(value);
    if (value.startsWith('0x')) secrets.add(value.slice(2));
  };

  async function call(method: string, params: unknown, options: { secretResult?: boolean } = {}) {
    const table = (method.startsWith('wallet.') ? walletMethods : chainMethods) as unknown as Table;
    const spec = table[method] as Table[string];
    try {
      const result = spec.result.parse(await (handlers[method] as (p: unknown) => unknown)(spec.params.parse(params)));
      if (!options.secretResult) messages.push(JSON.stringify(result));
      if (method === 'wallet.status' || method === 'wallet.unlock' || method === 'wallet.lock') store.getState().receiveWalletStatus(result as never);
      if (method === 'chain.status') store.getState().receiveChainStatus(result as never);
      if (method === 'chain.prepare') store.getState().setPendingAction(result as never);
      return result as Record<string, unknown>;
    } catch (error) {
      messages.push(JSON.stringify(error instanceof ContractError ? error.toBody() : { message: (error as Error).message }));
      throw error;
    }
  }

  beforeAll(async () => {
    const capture = new Writable({
      write(chunk, _encoding, done) {
        rawLogLines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'trace', base: { source: 'core' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.multistream([{ stream: ring.stream() }, { stream: capture }]));
    const config = await ConfigStore.load(path.join(temp.dir, 'config.json'));
    if (hasSubtensorFixtures) {
      const runtime = loadRuntime(424);
      chainServer = await FakeSubtensor.start({ runtime, storage: subnetStorage(new StorageBuilder(runtime), 3, recordedNeurons().slice(0, 4)).entries });
      await config.update((draft) => ({ ...draft, network: (chainServer as FakeSubtensor).url }));
    }
    const service = new WalletService({ root: path.join(temp.dir, 'data', 'wallets'), machineWarnings: () => [{ kind: 'ssh', detail: 'SSH_CONNECTION is set: this session runs over SSH' }] });
    const wallet = createWalletModule(service);
    const chain = createChainModule({ wallet: service, dataDir: path.join(temp.dir, 'data'), netuidFor: () => 3 });
    modules = [wallet, chain as unknown as ReturnType<typeof createWalletModule>];
    handlers = {};
    for (const module of modules) {
      const ctx: ModuleContext = {
        emit: ((event: string, data: unknown) => {
          const schema = { ...walletEvents, ...chainEvents }[event as keyof typeof walletEvents];
          messages.push(JSON.stringify(schema ? schema.parse(data) : data));
          if (event === 'wallet.status') store.getState().receiveWalletStatus(data as never);
          if (event === 'chain.status') store.getState().receiveChainStatus(data as never);
        }) as ModuleContext['emit'],
        logger: logger.child({ source: module.name }),
        paths: { dataDir: path.join(temp.dir, 'data'), configDir: temp.dir, configFile: path.join(temp.dir, 'config.json'), logDir: path.join(temp.dir, 'logs'), cacheDir: temp.dir },
        config,
      };
      Object.assign(handlers, module.handlers(ctx));
    }
    for (const module of modules) await module.start?.();
  }, 60_000);

  afterAll(async () => {
    for (const module of modules ?? []) await module.stop?.();
    await chainServer?.close();
    temp.cleanup();
  });

  const passphrases = ['cold passphrase 1', 'hot passphrase 1', 'cold passphrase 2', 'hot passphrase 2', 'Zq8-not-the-right-one'];
  passphrases.forEach(addSecret);

  it('create, reveal, import by phrase and by seed', async () => {

    const created = await call('wallet.create', { name: 'alpha', words: 12, coldkeyPassphrase: passphrases[0], hotkeyPassphrase: passphrases[1] });
    const { words } = (await call('wallet.reveal', { token: created['revealToken'] }, { secretResult: true })) as { words: string[] };
    addSecret(words.join(' '));
    addSecret(u8aToHex(mnemonicToMiniSecret(words.join(' '))));
    await expect(call('wallet.reveal', { token: created['revealToken'] })).rejects.toThrow(/already shown or has expired/);
    await call('wallet.confirmBackup', { name: 'alpha' });

    const phrase = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
    const seed = `0x${'42'.repeat(32)}`;
    addSecret(phrase);
    addSecret(seed);
    addSecret(u8aToHex(mnemonicToMiniSecret(phrase)));
    await call('wallet.import', { name: 'beta', coldkey: { kind: 'mnemonic', mnemonic: phrase }, coldkeyPassphrase: passphrases[2], hotkey: { kind: 'seed', seed }, hotkeyPassphrase: passphrases[3] });
  });

  it.skipIf(!hasBtwallet)(`import of a btcli wallet folder${skippedUnless(hasBtwallet, SKIP_BTWALLET)}`, async () => {
    // A plain-text btcli folder (no Argon2 here): the coldkey and hotkey secrets are in the files.
    const folder = path.join(temp.dir, 'btcli');
    fs.mkdirSync(path.join(folder, 'hotkeys'), { recursive: true });
    fs.copyFileSync(path.join(BTWALLET, 'generated', 'coldkey-unencrypted'), path.join(folder, 'coldkey'));
    fs.copyFileSync(path.join(BTWALLET, 'generated', 'wallets', 'testwallet', 'hotkeys', 'default'), path.join(folder, 'hotkeys', 'default'));
    const vectorFiles = loadVectors().files;
    // The loop below names the secrets to look for: over an empty list the search would pass on nothing.
    expect(vectorFiles.length).toBeGreaterThan(0);
    for (const file of vectorFiles) {
      addSecret(file.mnemonic);
      addSecret(file.secretSeed);
      addSecret((file as { privateKey?: string }).privateKey);
    }
    const imported = await call('wallet.importBtcli', { name: 'gamma', path: folder, coldkeyPassphrase: passphrases[2], hotkeyPassphrase: passphrases[3] });
    expect((imported['wallet'] as { coldkeyAddress: string }).coldkeyAddress).toBe('5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX');
  });

  it('unlock: a wrong passphrase refused, the right one accepted', async () => {
    await expect(call('wallet.unlock', { name: 'beta', passphrase: passphrases[4] })).rejects.toThrow(/wrong passphrase/);
    await call('wallet.select', { name: 'beta' });
    await call('wallet.unlock', { name: 'beta', passphrase: passphrases[3], timeoutMinutes: 30 });
    expect(store.getState().walletStatus?.unlockedHotkey?.wallet).toBe('beta');
  });

  it.skipIf(!hasSubtensorFixtures)(`chain writes, a registration refused at the passphrase, the metagraph${skippedUnless(hasSubtensorFixtures, SKIP_SUBTENSOR)}`, async () => {
    const server = chainServer!;
    await call('chain.status', {});
    const prepared = await call('chain.prepare', { action: 'commit', data: 'bucket-read-key-0123' });
    await call('chain.confirm', { token: prepared['token'] });
    // The coldkey can pay the burn: registration is then prepared, and refused at the passphrase.
    const beta = ((await call('wallet.status', {})) as { wallets: Array<{ name: string; coldkeyAddress: string }> }).wallets.find((w) => w.name === 'beta')!;
    const builder = new StorageBuilder(loadRuntime(424));
    server.storage.set(builder.key('system', 'account', beta.coldkeyAddress), builder.encodeValue('system', 'account', { nonce: 0, consumers: 0, providers: 1, sufficients: 0, data: { free: '10000000000', reserved: '0', frozen: '0', flags: '0' } }));
    const register = await call('chain.prepare', { action: 'register' });
    await expect(call('chain.confirm', { token: register['token'], coldkeyPassphrase: passphrases[4] })).rejects.toThrow(/wrong passphrase/);
    await call('chain.metagraph', {});
    await call('chain.status', {});
  });

  it('a passphrase change and a lock; then no secret in any message, log line, log ring or the renderer store', async () => {
    await call('wallet.changePassphrase', { name: 'beta', key: 'hotkey', oldPassphrase: passphrases[3], newPassphrase: 'hot passphrase 3' });
    addSecret('hot passphrase 3');
    await call('wallet.lock', {});

    // Keystore ciphertexts are secret material too: they must not travel either.
    for (const name of ['alpha', 'beta']) {
      const json = JSON.parse(fs.readFileSync(path.join(temp.dir, 'data', 'wallets', name, 'coldkey.json'), 'utf8')) as { encoded: string };
      addSecret(json.encoded);
    }

    expect(messages.length).toBeGreaterThan(10);
    expect(rawLogLines.length).toBeGreaterThan(5);
    const haystacks: Array<[string, string]> = [
      ['contract messages', messages.join('\n')],
      ['log lines', rawLogLines.join('\n')],
      ['log ring', JSON.stringify(ring.tail(5000))],
      ['renderer store', JSON.stringify(store.getState())],
    ];
    for (const [where, text] of haystacks) {
      for (const secret of secrets) expect(text.includes(secret), `${where} must not contain a secret (${secret.slice(0, 6)}…)`).toBe(false);
    }
    // And the store holds what the page needs.
    expect(store.getState().walletStatus?.wallets.map((w) => w.name)).toEqual(hasBtwallet ? ['alpha', 'beta', 'gamma'] : ['alpha', 'beta']);
  });
});
