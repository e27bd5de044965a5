import type { Codec } from '@polkadot/types/types';
import type { GenericExtrinsic } from '@polkadot/types';
import { blake2AsHex, blake2AsU8a, signatureVerify } from '@polkadot/util-crypto';
import { BALANCES_AND_COMMITMENTS, type CallHandler } from './dispatch';
import type { NodeState } from './node-state';
import { SUBTENSOR_CALLS } from './subtensor-calls';
import { invalidTransaction, RpcError } from './rpc-error';
import type { SubtensorRuntime } from './subtensor-runtime';

export const INVALID = {
  badProof: 'Transaction has a bad signature',
  stale: 'Transaction is outdated',
  future: 'Transaction will be valid in the future',
  payment: 'Inability to pay some fees (e.g. account balance too low)',
  call: 'Transaction call is not expected',
  ancientBirth: 'Transaction has an ancient birth block',
} as const;

/** The calls the devnet node runs (section.method as @polkadot/api names them). */
export const SUPPORTED_CALLS: Record<string, CallHandler> = { ...BALANCES_AND_COMMITMENTS, ...SUBTENSOR_CALLS };

/** A checked, signed extrinsic waiting for the next block. */
export interface PendingExtrinsic {
  hex: string;
  hash: string;
  signer: string;
  nonce: number;
  tip: bigint;
  call: string;
  args: readonly Codec[];
  handler: CallHandler;
}

/** What the pool reads of the chain to check a transaction. */
export interface PoolChain {
  runtime: SubtensorRuntime;
  state(): NodeState;
  /** The best block; transactions are checked for the block after it. */
  head(): number;
  hashOf(block: number): string | null;
  /** Fee in rao of a call that pays one (flat: the devnet does not weigh calls). */
  fee: bigint;
}

/**
 * The transaction pool: checks each submitted extrinsic as a node's pool does
 * (decodes it with the runtime, verifies the signature over the real signing
 * payload, the nonce, the fee) and holds the valid ones for the next block.
 */
export class TransactionPool {
  private pending: PendingExtrinsic[] = [];

  constructor(private readonly chain: PoolChain) {}

  get size(): number {
    return this.pending.length;
  }

  hexes(): string[] {
    return this.pending.map((p) => p.hex);
  }

  /** The nonce an account's next transaction needs: its on-chain nonce plus its transactions waiting here. */
  nextIndex(address: string): number {
    return (this.chain.state().accounts[address]?.nonce ?? 0) + this.pending.filter((p) => p.signer === address).length;
  }

  /** The fee a call pays (0 for Pays::No calls). */
  feeOf(handler: CallHandler): bigint {
    return handler.paysFee ? this.chain.fee : 0n;
  }

  /** Checks and admits an extrinsic; throws an RpcError saying why one is refused. */
  submit(hex: string): PendingExtrinsic {
    const ext = this.decode(hex);
    const hash = blake2AsHex(ext.toU8a());
    if (this.pending.some((p) => p.hash === hash)) throw new RpcError(1013, 'Transaction Already Imported');
    if (!ext.isSigned) throw new RpcError(1011, 'Unknown Transaction Validity', 'Could not find an unsigned validator for the unsigned transaction');
    const call = `${ext.method.section}.${ext.method.method}`;
    const handler = SUPPORTED_CALLS[call];
    if (!handler || handler.unsupported?.(ext.method.args)) throw invalidTransaction(INVALID.call);
    const signer = ext.signer.toString();
    this.verifySignature(ext, signer);

    const state = this.chain.state();
    const nonce = ext.nonce.toNumber();
    const onChain = state.accounts[signer]?.nonce ?? 0;
    const expected = this.nextIndex(signer);
    if (nonce < onChain) throw invalidTransaction(INVALID.stale);
    if (nonce < expected) throw new RpcError(1014, 'Priority is too low', 'The transaction has too low priority to replace another transaction already in the pool.');
    if (nonce > expected) throw invalidTransaction(INVALID.future);

    const tip = ext.tip.toBigInt();
    const owed = this.pending.filter((p) => p.signer === signer).reduce((sum, p) => sum + this.feeOf(p.handler) + p.tip, 0n);
    if (BigInt(state.accounts[signer]?.free ?? '0') < owed + this.feeOf(handler) + tip) throw invalidTransaction(INVALID.payment);

    const pending: PendingExtrinsic = { hex: ext.toHex(), hash, signer, nonce, tip, call, args: ext.method.args, handler };
    this.pending.push(pending);
    return pending;
  }

  /** Returns transactions of a block that could not be made, ahead of any that came since. */
  putBack(transactions: readonly PendingExtrinsic[]): void {
    this.pending = [...transactions, ...this.pending];
  }

  /** Everything waiting, for the block being built (the pool is left empty). */
  take(): PendingExtrinsic[] {
    const all = this.pending;
    this.pending = [];
    return all;
  }

  private decode(hex: string): GenericExtrinsic {
    try {
      return this.chain.runtime.registry.createType('Extrinsic', hex);
    } catch (error) {
      throw new RpcError(1001, 'Extrinsic has invalid format', (error as Error).message);
    }
  }

  /**
   * Rebuilds what the signer signed (call, era, nonce, tip, spec and
   * transaction versions, genesis hash, and the era's birth block hash: the
   * genesis for an immortal era) and checks the sr25519/ed25519 signature,
   * hashing payloads over 256 bytes with blake2-256 as substrate does.
   */
  private verifySignature(ext: GenericExtrinsic, signer: string): void {
    const { registry, version } = this.chain.runtime;
    const current = this.chain.head() + 1;
    let blockHash = this.chain.hashOf(0);
    if (ext.era.isMortalEra) {
      const birth = Number(ext.era.asMortalEra.birth(current));
      blockHash = this.chain.hashOf(birth);
      if (!blockHash) throw invalidTransaction(INVALID.ancientBirth);
    }
    const signature = ext.inner.signature as unknown as { mode?: Codec; metadataHash?: Codec; multiSignature: Codec };
    const payload = registry.createType(
      'ExtrinsicPayload',
      {
        method: ext.method.toHex(),
        era: ext.era,
        nonce: ext.nonce,
        tip: ext.tip,
        specVersion: version.specVersion,
        transactionVersion: version.transactionVersion,
        genesisHash: this.chain.hashOf(0),
        blockHash,
        mode: signature.mode?.toString() === '1' ? 1 : 0,
      },
      // The low 7 bits are the extrinsic format version (the top bit marks it signed).
      { version: ext.version & 0x7f },
    );
    const bytes = payload.toU8a({ method: true });
    const message = bytes.length > 256 ? blake2AsU8a(bytes, 256) : bytes;
    let valid: boolean;
    try {
      valid = signatureVerify(message, signature.multiSignature.toU8a(), signer).isValid;
    } catch {
      valid = false;
    }
    if (!valid) throw invalidTransaction(INVALID.badProof);
  }
}
