import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { u8aToHex } from '@polkadot/util';
import { mnemonicToMiniSecret } from '@polkadot/util-crypto';
import { WalletError } from '../../../main/services/wallet/errors';
import { keysReady, pairFromMnemonic, parseKeystore } from '../../../main/services/wallet/keys';
import type { Keychain } from '../../../main/adapters/keychain';
import { detectRemoteMachine, type MachineProbe } from '../../../main/services/wallet/machine';
import { WalletService } from '../../../main/services/wallet/wallet-service';
import { makeTempDir } from '../../support/temp-dir';

async function rejection(promise: Promise<unknown>): Promise<WalletError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WalletError) return error;
    throw error;
  }
  throw new Error('expected a WalletError');
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('wallet service', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let service: WalletService;
  beforeAll(async () => {
    await keysReady();
  });
  beforeEach(() => {
    temp = makeTempDir();
    service = new WalletService({ root: path.join(temp.dir, 'wallets'), machineWarnings: () => [] });
  });
  afterEach(() => {
    service.dispose();
    vi.restoreAllMocks();
    temp.cleanup();
  });

  it('creates a wallet: 0600 keystores in 0700 folders, phrase revealed once only, existing keys never overwritten', async () => {
    const created = await service.create({ name: 'main', words: 24, coldkeyPassphrase: 'cold passphrase', hotkeyPassphrase: 'hot passphrase', hotkeyName: 'default' });
    const dir = path.join(temp.dir, 'wallets', 'main');
    expect(mode(dir)).toBe(0o700);
    for (const file of ['coldkey.json', 'wallet.json', path.join('hotkeys', 'default.json')]) expect(mode(path.join(dir, file)), file).toBe(0o600);
    const stored = parseKeystore(fs.readFileSync(path.join(dir, 'coldkey.json'), 'utf8'));
    expect(stored.address).toBe(created.record.coldkeyAddress);
    expect(stored.encoding.type).toEqual(['scrypt', 'xsalsa20-poly1305']);
    expect(created.record.backedUp).toBe(false);

    const words = service.reveal(created.revealToken);
    expect(words).toHaveLength(24);
    expect(pairFromMnemonic(words.join(' ')).address).toBe(created.record.coldkeyAddress);
    expect((await rejection(Promise.resolve().then(() => service.reveal(created.revealToken)))).code).toBe('TOKEN');
    // The phrase is in no file.
    for (const file of fs.readdirSync(dir, { recursive: true }) as string[]) {
      const full = path.join(dir, file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full, 'utf8')).not.toContain(words.slice(0, 3).join(' '));
    }

    const before = fs.readFileSync(path.join(dir, 'coldkey.json'), 'utf8');
    const again = await rejection(service.create({ name: 'main', words: 12, coldkeyPassphrase: 'other passphrase', hotkeyPassphrase: 'other passphrase', hotkeyName: 'default' }));
    expect(again.code).toBe('EXISTS');
    expect(fs.readFileSync(path.join(dir, 'coldkey.json'), 'utf8')).toBe(before);
    expect((await service.confirmBackup('main')).backedUp).toBe(true);
  }, 60_000);

  it('imports a mnemonic or a raw seed; coldkey for one action only; hotkey unlock and auto-lock; wrong passphrase changes nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const phrase = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
      const seed = u8aToHex(mnemonicToMiniSecret('old leopard transfer rib spatial phone calm indicate online fire caution review'));
      const record = await service.importKeys({
        name: 'imp',
        coldkey: { kind: 'mnemonic', mnemonic: phrase },
        coldkeyPassphrase: 'cold passphrase',
        hotkey: { kind: 'seed', seed },
        hotkeyPassphrase: 'hot passphrase',
        hotkeyName: 'default',
      });
      expect(record.coldkeyAddress).toBe(pairFromMnemonic(phrase).address);
      expect(record.hotkeys[0]?.address).toBe('5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX');

      // Coldkey: one action, then the signer refuses.
      let kept: { sign(m: Uint8Array): Promise<Uint8Array> } | undefined;
      const signature = await service.withColdkey('imp', 'cold passphrase', async (signer) => {
        kept = signer;
        return signer.sign(new Uint8Array([1, 2, 3]));
      });
      expect(signature).toHaveLength(64);
      expect((await rejection((kept as { sign(m: Uint8Array): Promise<Uint8Array> }).sign(new Uint8Array([1])))).code).toBe('LOCKED');

      // Wrong passphrase: a clear error, file untouched.
      const file = path.join(temp.dir, 'wallets', 'imp', 'coldkey.json');
      const before = fs.readFileSync(file, 'utf8');
      expect((await rejection(service.withColdkey('imp', 'nope', async () => 1))).code).toBe('WRONG_PASSPHRASE');
      expect((await rejection(service.changePassphrase({ name: 'imp', key: 'coldkey', hotkey: 'default', oldPassphrase: 'nope', newPassphrase: 'new cold passphrase' }))).code).toBe('WRONG_PASSPHRASE');
      expect(fs.readFileSync(file, 'utf8')).toBe(before);

      // Hotkey: unlocked until the timeout, then locked by itself.
      expect(service.hotkeySigner()).toBeNull();
      await service.unlock({ name: 'imp', hotkey: 'default', passphrase: 'hot passphrase', remember: false, timeoutMinutes: 5 });
      const signer = service.hotkeySigner();
      expect(signer?.address).toBe(record.hotkeys[0]?.address);
      expect((await service.status()).unlockedHotkey?.locksAt).not.toBeNull();
      await vi.advanceTimersByTimeAsync(5 * 60_000 + 1);
      expect(service.hotkeySigner()).toBeNull();
      expect((await rejection((signer as { sign(m: Uint8Array): Promise<Uint8Array> }).sign(new Uint8Array([1])))).code).toBe('LOCKED');
      // No keychain in headless mode: remembering is refused, clearly.
      expect((await rejection(service.unlock({ name: 'imp', hotkey: 'default', passphrase: 'hot passphrase', remember: true, timeoutMinutes: 0 }))).code).toBe('NO_KEYCHAIN');
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);

  it('remembers the hotkey passphrase in a keychain when one exists, and unlocks from it', async () => {
    const saved = new Map<string, string>();
    const keychain: Keychain = {
      available: true,
      save: async (id, secret) => void saved.set(id, secret),
      load: async (id) => saved.get(id) ?? null,
      remove: async (id) => void saved.delete(id),
    };
    const withKeychain = new WalletService({ root: path.join(temp.dir, 'k'), keychain, machineWarnings: () => [] });
    await withKeychain.importKeys({ name: 'k', coldkey: { kind: 'seed', seed: `0x${'11'.repeat(32)}` }, coldkeyPassphrase: 'cold passphrase', hotkeyPassphrase: 'hot passphrase', hotkeyName: 'default' });
    await withKeychain.unlock({ name: 'k', hotkey: 'default', passphrase: 'hot passphrase', remember: true, timeoutMinutes: 0 });
    await withKeychain.lock();
    expect(withKeychain.hotkeySigner()).toBeNull();
    expect(await withKeychain.unlockFromKeychain()).toBe(true);
    expect(withKeychain.hotkeySigner()).not.toBeNull();
    await withKeychain.lock({ forget: true });
    expect(saved.size).toBe(0);
    withKeychain.dispose();
  }, 60_000);

  it('a crash mid-write leaves the old keystore intact (rename fails; and a writer killed mid-write)', async () => {
    await service.importKeys({ name: 'w', coldkey: { kind: 'seed', seed: `0x${'22'.repeat(32)}` }, coldkeyPassphrase: 'cold passphrase', hotkeyPassphrase: 'hot passphrase', hotkeyName: 'default' });
    const file = path.join(temp.dir, 'wallets', 'w', 'coldkey.json');
    const before = fs.readFileSync(file, 'utf8');

    // 1. The rename that publishes the new file fails: the old keystore stays, whole.
    const rename = vi.spyOn(fs, 'rename').mockImplementation(((_from: fs.PathLike, _to: fs.PathLike, callback: (error: NodeJS.ErrnoException | null) => void) => {
      callback(Object.assign(new Error('simulated crash before rename'), { code: 'EIO' }));
    }) as typeof fs.rename);
    await expect(service.changePassphrase({ name: 'w', key: 'coldkey', hotkey: 'default', oldPassphrase: 'cold passphrase', newPassphrase: 'new cold passphrase' })).rejects.toThrow(/simulated crash/);
    rename.mockRestore();
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(mode(file)).toBe(0o600);
    expect(await service.withColdkey('w', 'cold passphrase', async (s) => s.address)).toBe(parseKeystore(before).address);

    // 2. A writer process killed while it rewrites the keystore over and over: whatever is there parses as a keystore.
    const script = path.join(temp.dir, 'writer.mjs');
    const atomic = path.resolve('node_modules', 'write-file-atomic', 'lib', 'index.js');
    fs.writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const writeFileAtomic = require(${JSON.stringify(atomic)});
const file = process.argv[2];
const base = JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
process.stdout.write('ready\\n');
for (let i = 0; ; i++) {
  await writeFileAtomic(file, JSON.stringify({ ...base, meta: { i, pad: 'x'.repeat(200000) } }, null, 2), { fsync: true, mode: 0o600 });
}
`,
    );
    const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let it be somewhere mid-loop; not a timing assertion
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const after = parseKeystore(fs.readFileSync(file, 'utf8'));
    expect(after.address).toBe(parseKeystore(before).address);
    expect(after.encoded).toBe(parseKeystore(before).encoded);
    expect(mode(file)).toBe(0o600);
  }, 60_000);

  it('refuses bad names and a hotkey equal to the coldkey', async () => {
    expect((await rejection(service.create({ name: '../evil', words: 12, coldkeyPassphrase: 'cold passphrase', hotkeyPassphrase: 'hot passphrase', hotkeyName: 'default' }))).code).toBe('BAD_INPUT');
    const seed = `0x${'33'.repeat(32)}`;
    expect(
      (await rejection(service.importKeys({ name: 'same', coldkey: { kind: 'seed', seed }, coldkeyPassphrase: 'cold passphrase', hotkey: { kind: 'seed', seed }, hotkeyPassphrase: 'hot passphrase', hotkeyName: 'default' }))).code,
    ).toBe('BAD_INPUT');
    expect(fs.existsSync(path.join(temp.dir, 'wallets', 'same'))).toBe(false);
  }, 60_000);
});

describe('rented or remote machine heuristics', () => {
  const probe = (overrides: Partial<MachineProbe> & { files?: Record<string, string> }): MachineProbe => ({
    env: {},
    platform: 'linux',
    exists: (p) => p in (overrides.files ?? {}),
    read: (p) => overrides.files?.[p],
    ...overrides,
  });

  it('sees nothing on a plain desktop', () => {
    expect(detectRemoteMachine(probe({ files: { '/sys/class/dmi/id/sys_vendor': 'Dell Inc.\n', '/proc/cpuinfo': 'flags\t\t: fpu vme sse\n' } }))).toEqual([]);
  });

  it('names SSH, containers, VMs and cloud vendors', () => {
    const kinds = (p: MachineProbe) => detectRemoteMachine(p).map((w) => w.kind);
    expect(kinds(probe({ env: { SSH_CONNECTION: '10.0.0.1 5000 10.0.0.2 22' } }))).toEqual(['ssh']);
    expect(kinds(probe({ files: { '/.dockerenv': '' } }))).toEqual(['container']);
    expect(kinds(probe({ files: { '/proc/1/cgroup': '0::/kubepods/besteffort/pod1' } }))).toEqual(['container']);
    expect(kinds(probe({ files: { '/sys/class/dmi/id/sys_vendor': 'Amazon EC2' } }))).toEqual(['cloud']);
    expect(kinds(probe({ files: { '/sys/class/dmi/id/sys_vendor': 'QEMU', '/sys/class/dmi/id/product_name': 'Standard PC (Q35 + ICH9, 2009)' } }))).toEqual(['vm']);
    expect(kinds(probe({ files: { '/proc/cpuinfo': 'flags\t\t: fpu hypervisor sse\n' } }))).toEqual(['vm']);
    expect(kinds(probe({ env: { RUNPOD_POD_ID: 'abc' } }))).toEqual(['cloud']);
    expect(detectRemoteMachine(probe({ env: { SSH_CONNECTION: 'x' } }))[0]?.detail).toMatch(/SSH_CONNECTION/);
  });
});
