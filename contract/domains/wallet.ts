import { z } from 'zod';

/**
 * The wallet domain. Secret material (mnemonics, seeds, private keys, keystore
 * contents) never appears in a result or an event: the one exception is
 * `wallet.reveal`, which hands the new coldkey's recovery phrase to the UI once,
 * against a single-use token that `wallet.create` returned (see RevealToken).
 * Passphrases travel only UI → core, inside requests, and are never echoed.
 */

export const WalletName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'use 1 to 32 letters, digits, "-" or "_"');
export type WalletName = z.infer<typeof WalletName>;

/** A passphrase typed by the user; the core checks strength where it matters (new keys). */
export const Passphrase = z.string().min(1, 'a passphrase is required').max(1024);

/** A new passphrase for a key Tandem will store: at least 8 characters. */
export const NewPassphrase = z.string().min(8, 'use at least 8 characters').max(1024);

export const Ss58Address = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, 'expected an SS58 address');

export const KeySource = z.enum(['created', 'mnemonic', 'seed', 'btcli', 'json']);
export type KeySource = z.infer<typeof KeySource>;

export const HotkeySummary = z.object({
  name: WalletName,
  address: Ss58Address,
});
export type HotkeySummary = z.infer<typeof HotkeySummary>;

export const WalletSummary = z.object({
  name: WalletName,
  coldkeyAddress: Ss58Address,
  /** Only the public half of the coldkey is here (a btcli folder with coldkeypub.txt but no coldkey): it can receive, not sign. */
  coldkeyWatchOnly: z.boolean(),
  hotkeys: z.array(HotkeySummary),
  source: KeySource,
  createdAt: z.number(),
  /** The user confirmed the recovery phrase (or the wallet was imported, so a backup exists elsewhere). */
  backedUp: z.boolean(),
});
export type WalletSummary = z.infer<typeof WalletSummary>;

export const MachineWarning = z.object({
  /** Machine-readable kind: ssh, container, vm, cloud. */
  kind: z.enum(['ssh', 'container', 'vm', 'cloud']),
  /** What was seen, in words for a person, e.g. "SSH_CONNECTION is set". */
  detail: z.string(),
});
export type MachineWarning = z.infer<typeof MachineWarning>;

export const WalletStatus = z.object({
  wallets: z.array(WalletSummary),
  /** The wallet whose hotkey the app uses; null until one exists. */
  active: WalletName.nullable(),
  /** The hotkey that signs routine calls, when it is unlocked. */
  unlockedHotkey: z
    .object({
      wallet: WalletName,
      hotkey: WalletName,
      address: Ss58Address,
      /** Epoch ms when it locks itself again; null = stays unlocked until the app stops. */
      locksAt: z.number().nullable(),
    })
    .nullable(),
  /** An OS keychain (Electron safeStorage) can remember the hotkey passphrase. Never in headless mode. */
  keychainAvailable: z.boolean(),
  /** Signs that this machine is rented, remote or virtual: keep a coldkey elsewhere. */
  machineWarnings: z.array(MachineWarning),
});
export type WalletStatus = z.infer<typeof WalletStatus>;

/** Where a key comes from when importing. Secret values go one way only: UI → core. */
export const KeyMaterial = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mnemonic'), mnemonic: z.string().min(1).max(1024) }),
  z.object({ kind: z.literal('seed'), seed: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'expected a 32-byte hex seed') }),
]);
export type KeyMaterial = z.infer<typeof KeyMaterial>;

export const RevealToken = z.string().regex(/^[0-9a-f]{64}$/);

export const walletMethods = {
  'wallet.status': { params: z.object({}).strict(), result: WalletStatus },
  /** New coldkey (12 or 24 words) and hotkey. The recovery phrase is NOT in the result: call wallet.reveal with the token, once. */
  'wallet.create': {
    params: z
      .object({
        name: WalletName,
        words: z.union([z.literal(12), z.literal(24)]).default(12),
        coldkeyPassphrase: NewPassphrase,
        hotkeyPassphrase: NewPassphrase,
        hotkeyName: WalletName.default('default'),
      })
      .strict(),
    result: z.object({
      wallet: WalletSummary,
      revealToken: RevealToken,
      /** When the token stops working (epoch ms); after that the phrase is gone for good. */
      revealExpiresAt: z.number(),
      warnings: z.array(MachineWarning),
    }),
  },
  /** The one-time reveal of a new coldkey's recovery phrase. A token works once and only until it expires. */
  'wallet.reveal': {
    params: z.object({ token: RevealToken }).strict(),
    result: z.object({ words: z.array(z.string()) }),
  },
  /** Drops an unused reveal token (the user closed the dialog). */
  'wallet.discardReveal': { params: z.object({ token: RevealToken }).strict(), result: z.object({ discarded: z.boolean() }) },
  'wallet.confirmBackup': { params: z.object({ name: WalletName }).strict(), result: WalletSummary },
  /** Import a coldkey from a recovery phrase or raw seed; the hotkey is imported too when given, else created. */
  'wallet.import': {
    params: z
      .object({
        name: WalletName,
        coldkey: KeyMaterial,
        coldkeyPassphrase: NewPassphrase,
        hotkey: KeyMaterial.optional(),
        hotkeyPassphrase: NewPassphrase,
        hotkeyName: WalletName.default('default'),
      })
      .strict(),
    result: z.object({ wallet: WalletSummary, warnings: z.array(MachineWarning) }),
  },
  /** Import a btcli wallet folder (~/.bittensor/wallets/<name>): coldkey in any btcli format, coldkeypub.txt, hotkeys/<name>. */
  'wallet.importBtcli': {
    params: z
      .object({
        name: WalletName,
        path: z.string().min(1).max(4096),
        /** The btcli password of an encrypted coldkey ($NACL, Ansible Vault or legacy Fernet). */
        btcliPassword: z.string().max(1024).optional(),
        coldkeyPassphrase: NewPassphrase,
        hotkeyPassphrase: NewPassphrase,
      })
      .strict(),
    result: z.object({ wallet: WalletSummary, warnings: z.array(MachineWarning), skipped: z.array(z.string()) }),
  },
  'wallet.select': { params: z.object({ name: WalletName }).strict(), result: WalletStatus },
  /** Unlocks the hotkey that signs routine calls; locks itself after the timeout. */
  'wallet.unlock': {
    params: z
      .object({
        name: WalletName,
        hotkey: WalletName.default('default'),
        passphrase: Passphrase,
        /** Keep the passphrase in the OS keychain so the app can unlock at start. Refused where no keychain exists. */
        remember: z.boolean().default(false),
        /** 0 = until the app stops. */
        timeoutMinutes: z.number().int().min(0).max(7 * 24 * 60).default(0),
      })
      .strict(),
    result: WalletStatus,
  },
  'wallet.lock': { params: z.object({ forget: z.boolean().default(false) }).strict(), result: WalletStatus },
  'wallet.changePassphrase': {
    params: z
      .object({
        name: WalletName,
        key: z.enum(['coldkey', 'hotkey']),
        hotkey: WalletName.default('default'),
        oldPassphrase: Passphrase,
        newPassphrase: NewPassphrase,
      })
      .strict(),
    result: WalletSummary,
  },
} as const;

export const walletEvents = {
  'wallet.status': WalletStatus,
} as const;
