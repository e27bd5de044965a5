import crypto from 'node:crypto';
import type { ChainSigner, ChainWriter } from '../../ports/chain-port';
import type { OpenedChain } from './open-subtensor';
import { formatTao } from './tao';

/** What the chain side needs from the wallet: addresses and signers, never key material. */
export interface WalletAccess {
  activeWallet(): Promise<{ name: string; coldkeyAddress: string; coldkeyWatchOnly: boolean; hotkeys: Array<{ name: string; address: string }> } | null>;
  hotkeySigner(): ChainSigner | null;
  withColdkey<T>(name: string, passphrase: string, action: (signer: ChainSigner) => Promise<T>): Promise<T>;
  onChange(listener: () => void): () => void;
}

export interface PreparedWrite {
  token: string;
  action: 'register' | 'commit';
  netuid: number;
  signer: 'coldkey' | 'hotkey';
  signerAddress: string;
  hotkey: string;
  fee: string;
  burn: string | null;
  summary: string;
  expiresAt: number;
}

/** A chain action refused, with a reason the user can act on. */
export class ChainActionError extends Error {}

/** What the writes need from the chain service: the chain and subnet followed now, and a way to re-read them. */
export interface WriteContext {
  wallet: WalletAccess | undefined;
  requireChain(): OpenedChain;
  requireSubnet(): number;
  refresh(force: boolean): Promise<void>;
  /** This hotkey's uid as last read from the metagraph. */
  ownUid(): number | null;
  now(): number;
  /** How long a prepared write waits for confirmation. */
  confirmTtlMs: number;
}

/**
 * The two writes this app makes (registering the hotkey, publishing the
 * storage commitment), each behind a prepare → confirm step: the user sees who
 * signs and what it costs before anything is signed, and the coldkey is
 * unlocked only inside the confirmation.
 */
export class ChainWrites {
  private readonly prepared = new Map<string, { write: PreparedWrite; walletName: string }>();
  /** The data of each prepared commitment, by token. */
  private readonly pendingCommit = new Map<string, string>();

  constructor(private readonly context: WriteContext) {}

  /** Step 1 of a write: who signs, what it costs. Nothing is signed. */
  async prepare(input: { action: 'register' } | { action: 'commit'; data: string }): Promise<PreparedWrite> {
    const chain = this.context.requireChain();
    if (!chain.estimate || !chain.register || !chain.commit) throw new ChainActionError(`${chain.name} does not accept writes from this app`);
    const wallet = await this.context.wallet?.activeWallet();
    const hotkey = wallet?.hotkeys[0]?.address;
    if (!wallet || !hotkey) throw new ChainActionError('create or import a wallet first');
    const netuid = this.context.requireSubnet();
    let signerAddress: string;
    if (input.action === 'register') {
      if (wallet.coldkeyWatchOnly) throw new ChainActionError('this wallet holds only the coldkey address; registration needs the coldkey itself');
      const uid = await chain.uidOf(netuid, hotkey);
      if (uid !== null) throw new ChainActionError(`the hotkey is already registered on subnet ${netuid} as uid ${uid}`);
      signerAddress = wallet.coldkeyAddress;
    } else {
      const signer = this.context.wallet?.hotkeySigner();
      if (!signer) throw new ChainActionError('unlock the hotkey first: it signs the commitment');
      signerAddress = signer.address;
    }
    const estimate = await chain.estimate(input.action === 'register' ? { action: 'register', netuid, hotkey } : { action: 'commit', netuid, data: input.data }, signerAddress);
    if (input.action === 'register' && chain.balanceOf) {
      // Said before anything is signed: the chain would take the fee and refuse the registration.
      const balance = await chain.balanceOf(signerAddress);
      const cost = (estimate.burn ?? 0n) + estimate.fee;
      if (balance < cost) throw new ChainActionError(`insufficient balance: coldkey ${signerAddress} holds ${formatTao(balance)}, and registering costs ${formatTao(cost)} (burn ${formatTao(estimate.burn ?? 0n)} plus the fee); nothing was signed`);
    }
    const summary =
      input.action === 'register'
        ? `Register hotkey ${hotkey} on subnet ${netuid}: burns ${formatTao(estimate.burn ?? 0n)} plus a fee of about ${formatTao(estimate.fee)}, paid by coldkey ${signerAddress}.`
        : `Publish this machine's storage read access on subnet ${netuid}, signed by hotkey ${signerAddress}; fee about ${formatTao(estimate.fee)}.`;
    const token = crypto.randomBytes(16).toString('hex');
    const write: PreparedWrite = {
      token,
      action: input.action,
      netuid,
      signer: input.action === 'register' ? 'coldkey' : 'hotkey',
      signerAddress,
      hotkey,
      fee: estimate.fee.toString(),
      burn: estimate.burn === null ? null : estimate.burn.toString(),
      summary,
      expiresAt: this.context.now() + this.context.confirmTtlMs,
    };
    this.prepared.set(token, { write, walletName: wallet.name });
    if (input.action === 'commit') this.pendingCommit.set(token, input.data);
    return write;
  }


  cancel(token: string): boolean {
    this.pendingCommit.delete(token);
    return this.prepared.delete(token);
  }

  /** Step 2: the user confirmed. The coldkey is unlocked only inside this call, for registration. */
  async confirm(token: string, coldkeyPassphrase: string | undefined): Promise<{ action: 'register' | 'commit'; uid: number | null }> {
    const entry = this.prepared.get(token);
    const data = this.pendingCommit.get(token);
    this.prepared.delete(token);
    this.pendingCommit.delete(token);
    if (!entry || entry.write.expiresAt < this.context.now()) throw new ChainActionError('this confirmation expired or was already used; prepare the action again');
    const chain = this.context.requireChain();
    const { write } = entry;
    if (write.action === 'register') {
      if (!coldkeyPassphrase) throw new ChainActionError('registration is paid by the coldkey: its passphrase is needed');
      const wallet = this.context.wallet as WalletAccess;
      const uid = await wallet.withColdkey(entry.walletName, coldkeyPassphrase, (signer) => (chain.register as ChainWriter['register'])(write.netuid, write.hotkey, signer));
      await this.context.refresh(true);
      return { action: 'register', uid };
    }
    const signer = this.context.wallet?.hotkeySigner();
    if (!signer) throw new ChainActionError('the hotkey was locked meanwhile; unlock it and prepare again');
    await (chain.commit as ChainWriter['commit'])(write.netuid, data ?? '', signer);
    return { action: 'commit', uid: this.context.ownUid() };
  }
}
