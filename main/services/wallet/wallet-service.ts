import type { ChainSigner } from '../../ports/chain-port';
import { readBtcliWallet } from './btcli-wallet-folder';
import { WalletError } from './errors';
import { noKeychain, type Keychain } from '../../adapters/keychain';
import { decryptKeystore, encryptToKeystore, generateMnemonic, keysReady, normalizeMnemonic, pairFromMnemonic, pairFromSeed, type KeyringPair } from './keys';
import { detectRemoteMachine, type MachineWarning } from './machine';
import { RecoveryReveals } from './recovery-reveals';
import { UnlockedHotkey } from './unlocked-hotkey';
import { checkName, WalletStore, type WalletRecord } from './wallet-store';

export type KeyMaterialInput = { kind: 'mnemonic'; mnemonic: string } | { kind: 'seed'; seed: string };

export interface WalletStatusData {
  wallets: WalletRecord[];
  active: string | null;
  unlockedHotkey: { wallet: string; hotkey: string; address: string; locksAt: number | null } | null;
  keychainAvailable: boolean;
  machineWarnings: MachineWarning[];
}

export interface WalletServiceOptions {
  /** Folder holding one sub-folder per wallet. */
  root: string;
  keychain?: Keychain;
  /** Defaults to the real heuristics; tests pass a fixed list. */
  machineWarnings?: () => MachineWarning[];
  now?: () => number;
  /** How long a one-time reveal token works. */
  revealTtlMs?: number;
}

/**
 * The keys of this machine, with the coldkey/hotkey split:
 *
 *  - the hotkey signs routine calls (commitments); it is unlocked once and kept
 *    in memory until `lock()` or its timeout (UnlockedHotkey);
 *  - the coldkey (registration, transfers) is decrypted for one action inside
 *    `withColdkey` and locked again before that call returns, whatever happens.
 *
 * The recovery phrase of a new coldkey is not stored anywhere: it is held in
 * memory behind a random single-use token until the UI redeems it (or it
 * expires), so it crosses the contract exactly once, in `wallet.reveal`
 * (RecoveryReveals).
 */
export class WalletService {
  readonly store: WalletStore;
  private readonly keychain: Keychain;
  private readonly now: () => number;
  private readonly warnings: () => MachineWarning[];
  private readonly unlocked: UnlockedHotkey;
  private active: string | null = null;
  private readonly reveals: RecoveryReveals;
  private readonly listeners = new Set<() => void>();

  constructor(options: WalletServiceOptions) {
    this.store = new WalletStore(options.root);
    this.keychain = options.keychain ?? noKeychain;
    this.now = options.now ?? Date.now;
    this.unlocked = new UnlockedHotkey(this.now, () => this.changed());
    this.reveals = new RecoveryReveals(options.revealTtlMs ?? 10 * 60_000, this.now);
    let cached: MachineWarning[] | undefined;
    this.warnings = options.machineWarnings ?? (() => (cached ??= detectRemoteMachine()));
  }

  /** Called after every change a UI should see (keys added, lock state). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  machineWarnings(): MachineWarning[] {
    return this.warnings();
  }

  async status(): Promise<WalletStatusData> {
    const wallets = await this.store.list();
    const active = this.active && wallets.some((w) => w.name === this.active) ? this.active : (wallets[0]?.name ?? null);
    const u = this.unlocked.current;
    return {
      wallets,
      active,
      unlockedHotkey: u ? { wallet: u.wallet, hotkey: u.hotkey, address: u.pair.address, locksAt: u.locksAt } : null,
      keychainAvailable: this.keychain.available,
      machineWarnings: this.warnings(),
    };
  }

  async activeWallet(): Promise<WalletRecord | null> {
    const status = await this.status();
    return status.wallets.find((w) => w.name === status.active) ?? null;
  }

  async select(name: string): Promise<void> {
    await this.store.read(name);
    if (this.unlocked.current && this.unlocked.current.wallet !== name) this.unlocked.release();
    this.active = name;
    this.changed();
  }

  async create(input: { name: string; words: 12 | 24; coldkeyPassphrase: string; hotkeyPassphrase: string; hotkeyName: string }) {
    await keysReady();
    checkName('wallet', input.name);
    checkName('hotkey', input.hotkeyName);
    if (await this.store.exists(input.name)) throw new WalletError('EXISTS', `a wallet named "${input.name}" already exists; choose another name (existing keys are never overwritten)`);
    const phrase = generateMnemonic(input.words);
    const coldkey = pairFromMnemonic(phrase, `${input.name} coldkey`);
    const hotkey = pairFromMnemonic(generateMnemonic(12), `${input.name}/${input.hotkeyName}`);
    const record = this.newRecord(input.name, coldkey.address, false, [{ name: input.hotkeyName, address: hotkey.address }], 'created', false);
    try {
      await this.store.createWallet(
        record,
        encryptToKeystore(coldkey, input.coldkeyPassphrase),
        [{ name: input.hotkeyName, json: encryptToKeystore(hotkey, input.hotkeyPassphrase) }],
      );
    } finally {
      coldkey.lock();
      hotkey.lock();
    }
    const reveal = this.reveals.issue(phrase.split(' '));
    this.active ??= input.name;
    this.changed();
    return { record, ...reveal, warnings: this.warnings() };
  }

  /** The recovery phrase, once. A second call, or one after the expiry, fails. */
  reveal(token: string): string[] {
    return this.reveals.reveal(token);
  }

  discardReveal(token: string): boolean {
    return this.reveals.discard(token);
  }

  async confirmBackup(name: string): Promise<WalletRecord> {
    const record = await this.store.read(name);
    const next = { ...record, backedUp: true };
    await this.store.writeRecord(next);
    this.changed();
    return next;
  }

  private pairFromMaterial(material: KeyMaterialInput, label: string): KeyringPair {
    return material.kind === 'mnemonic' ? pairFromMnemonic(normalizeMnemonic(material.mnemonic), label) : pairFromSeed(material.seed, label);
  }

  async importKeys(input: {
    name: string;
    coldkey: KeyMaterialInput;
    coldkeyPassphrase: string;
    hotkey?: KeyMaterialInput | undefined;
    hotkeyPassphrase: string;
    hotkeyName: string;
  }): Promise<WalletRecord> {
    await keysReady();
    checkName('wallet', input.name);
    checkName('hotkey', input.hotkeyName);
    const coldkey = this.pairFromMaterial(input.coldkey, `${input.name} coldkey`);
    const hotkey = input.hotkey ? this.pairFromMaterial(input.hotkey, `${input.name}/${input.hotkeyName}`) : pairFromMnemonic(generateMnemonic(12), `${input.name}/${input.hotkeyName}`);
    try {
      if (hotkey.address === coldkey.address) throw new WalletError('BAD_INPUT', 'the hotkey must be a different key from the coldkey');
      const record = this.newRecord(input.name, coldkey.address, false, [{ name: input.hotkeyName, address: hotkey.address }], input.coldkey.kind, true);
      await this.store.createWallet(record, encryptToKeystore(coldkey, input.coldkeyPassphrase), [
        { name: input.hotkeyName, json: encryptToKeystore(hotkey, input.hotkeyPassphrase) },
      ]);
      this.active ??= input.name;
      this.changed();
      return record;
    } finally {
      coldkey.lock();
      hotkey.lock();
    }
  }

  /**
   * Imports a btcli wallet folder: `coldkey` ($NACL, Ansible Vault, legacy
   * Fernet or plain), else `coldkeypub.txt` alone (watch-only), and every
   * `hotkeys/<name>` that holds a secret (readBtcliWallet). Keys are
   * re-encrypted into Tandem keystores; the btcli files are only read.
   */
  async importBtcli(input: { name: string; folder: string; btcliPassword?: string | undefined; coldkeyPassphrase: string; hotkeyPassphrase: string }) {
    await keysReady();
    checkName('wallet', input.name);
    if (await this.store.exists(input.name)) throw new WalletError('EXISTS', `a wallet named "${input.name}" already exists; choose another name (existing keys are never overwritten)`);
    const pairs: KeyringPair[] = [];
    try {
      const { coldkey, coldkeyAddress, hotkeys, skipped } = await readBtcliWallet(input, pairs);
      const record = this.newRecord(
        input.name,
        coldkeyAddress,
        coldkey === null,
        hotkeys.map((h) => ({ name: h.name, address: h.json.address })),
        'btcli',
        true,
      );
      await this.store.createWallet(record, coldkey ? encryptToKeystore(coldkey, input.coldkeyPassphrase) : null, hotkeys);
      this.active ??= input.name;
      this.changed();
      return { record, skipped };
    } finally {
      for (const pair of pairs) pair.lock();
    }
  }

  /** The stored keystore as polkadot JSON (still encrypted with its passphrase), after checking the passphrase opens it. */
  async exportKeystore(name: string, key: 'coldkey' | 'hotkey', hotkey: string, passphrase: string): Promise<string> {
    await keysReady();
    const json = key === 'coldkey' ? await this.store.readColdkey(name) : await this.store.readHotkey(name, hotkey);
    decryptKeystore(json, passphrase).lock();
    return JSON.stringify(json, null, 2);
  }

  async changePassphrase(input: { name: string; key: 'coldkey' | 'hotkey'; hotkey: string; oldPassphrase: string; newPassphrase: string }): Promise<WalletRecord> {
    await keysReady();
    const file = input.key === 'coldkey' ? this.store.coldkeyFile(input.name) : this.store.hotkeyFile(input.name, input.hotkey);
    const json = input.key === 'coldkey' ? await this.store.readColdkey(input.name) : await this.store.readHotkey(input.name, input.hotkey);
    const pair = decryptKeystore(json, input.oldPassphrase);
    try {
      const next = encryptToKeystore(pair, input.newPassphrase);
      next.meta = json.meta;
      await this.store.rewriteKeystore(file, next);
    } finally {
      pair.lock();
    }
    if (input.key === 'hotkey') await this.keychain.remove(keychainId(input.name, input.hotkey)).catch(() => undefined);
    return this.store.read(input.name);
  }

  async unlock(input: { name: string; hotkey: string; passphrase: string; remember: boolean; timeoutMinutes: number }): Promise<void> {
    await keysReady();
    if (input.remember && !this.keychain.available) throw new WalletError('NO_KEYCHAIN', 'no OS keychain here (headless mode or none installed): the passphrase cannot be remembered');
    const pair = decryptKeystore(await this.store.readHotkey(input.name, input.hotkey), input.passphrase);
    if (input.remember) await this.keychain.save(keychainId(input.name, input.hotkey), input.passphrase);
    this.hold(input.name, input.hotkey, pair, input.timeoutMinutes);
  }

  /** Unlocks the active wallet's hotkey from the OS keychain, when a passphrase was remembered. */
  async unlockFromKeychain(timeoutMinutes = 0): Promise<boolean> {
    if (!this.keychain.available || this.unlocked.current) return false;
    const wallet = await this.activeWallet();
    const hotkey = wallet?.hotkeys[0];
    if (!wallet || !hotkey) return false;
    const passphrase = await this.keychain.load(keychainId(wallet.name, hotkey.name));
    if (passphrase === null) return false;
    await keysReady();
    try {
      this.hold(wallet.name, hotkey.name, decryptKeystore(await this.store.readHotkey(wallet.name, hotkey.name), passphrase), timeoutMinutes);
      return true;
    } catch {
      return false;
    }
  }

  private hold(wallet: string, hotkey: string, pair: KeyringPair, timeoutMinutes: number): void {
    this.unlocked.hold(wallet, hotkey, pair, timeoutMinutes);
    this.active = wallet;
    this.changed();
  }

  async lock(options: { forget?: boolean } = {}): Promise<void> {
    const u = this.unlocked.current;
    this.unlocked.release();
    if (options.forget && u) await this.keychain.remove(keychainId(u.wallet, u.hotkey));
    this.changed();
  }

  /** The unlocked hotkey as a signer, or null while locked. */
  hotkeySigner(): ChainSigner | null {
    return this.unlocked.signer();
  }

  /**
   * Decrypts the coldkey for one action and locks it again before returning.
   * The signer refuses to sign once the action is over.
   */
  async withColdkey<T>(name: string, passphrase: string, action: (signer: ChainSigner) => Promise<T>): Promise<T> {
    await keysReady();
    const pair = decryptKeystore(await this.store.readColdkey(name), passphrase);
    let open = true;
    const signer: ChainSigner = {
      address: pair.address,
      sign: (message) => (open ? Promise.resolve(pair.sign(message)) : Promise.reject(new WalletError('LOCKED', 'the coldkey is only unlocked for one action'))),
    };
    try {
      return await action(signer);
    } finally {
      open = false;
      pair.lock();
    }
  }

  dispose(): void {
    this.unlocked.release();
    this.reveals.discardAll();
  }

  private newRecord(
    name: string,
    coldkeyAddress: string,
    coldkeyWatchOnly: boolean,
    hotkeys: WalletRecord['hotkeys'],
    source: WalletRecord['source'],
    backedUp: boolean,
  ): WalletRecord {
    return { version: 1, name, coldkeyAddress, coldkeyWatchOnly, hotkeys, source, createdAt: this.now(), backedUp };
  }
}

export function keychainId(wallet: string, hotkey: string): string {
  return `hotkey-${wallet}-${hotkey}`;
}
