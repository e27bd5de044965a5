import type { ApiPromise } from '@polkadot/api';
import type { Signer, SignerResult, SubmittableExtrinsic } from '@polkadot/api/types';
import type { DispatchError, EventRecord } from '@polkadot/types/interfaces';
import type { SignerPayloadJSON } from '@polkadot/types/types';
import { stringUpperFirst, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import type { ChainSigner } from '../../ports/chain-port';

/**
 * An extrinsic that made it into a block but whose call failed there
 * (System.ExtrinsicFailed): the fee was paid, nothing else happened.
 * `pallet` and `error` name the module error when it is one
 * (e.g. SubtensorModule / NeuronNoValidatorPermit).
 */
export class ChainDispatchError extends Error {
  constructor(
    message: string,
    readonly pallet: string | null,
    readonly error: string | null,
  ) {
    super(message);
    this.name = 'ChainDispatchError';
  }
}

/** What sp_runtime's token errors mean for the person who sent the transaction. */
const TOKEN_ERRORS: Record<string, string> = {
  FundsUnavailable: 'the account does not hold enough free balance',
  NotExpendable: 'this would take the account below the existential deposit',
  BelowMinimum: 'the amount is below the existential deposit a new account needs',
  CannotCreate: 'the account cannot be created',
};

/** `Pallet.Error: docs` for a module error, or the kind of a runtime error, from the runtime's own metadata. */
export function describeDispatchError(api: ApiPromise, error: DispatchError): ChainDispatchError {
  if (error.isModule) {
    const meta = api.registry.findMetaError(error.asModule);
    const pallet = stringUpperFirst(meta.section);
    const docs = meta.docs.join(' ').trim();
    return new ChainDispatchError(`${pallet}.${meta.name}${docs ? `: ${docs}` : ''}`, pallet, meta.name);
  }
  if (error.isToken) {
    const kind = error.asToken.type;
    return new ChainDispatchError(`Token.${kind}${TOKEN_ERRORS[kind] ? `: ${TOKEN_ERRORS[kind]}` : ''}`, null, kind);
  }
  return new ChainDispatchError(`the call failed on chain (${error.type})`, null, error.type);
}

/**
 * The polkadot Signer for a ChainSigner: the payload is encoded exactly as
 * keyring pairs sign it (blake2-256 when longer than 256 bytes) and the
 * signature gets the sr25519 MultiSignature tag.
 */
export function polkadotSigner(api: ApiPromise, signer: ChainSigner): Signer {
  let id = 0;
  return {
    signPayload: async (payload: SignerPayloadJSON): Promise<SignerResult> => {
      if (payload.address !== signer.address) throw new Error('the payload is for another account');
      const extrinsicPayload = api.registry.createType('ExtrinsicPayload', payload, { version: payload.version });
      const bytes = extrinsicPayload.toU8a({ method: true });
      const message = bytes.length > 256 ? blake2AsU8a(bytes) : bytes;
      const signature = await signer.sign(message);
      return { id: ++id, signature: u8aToHex(u8aConcat(new Uint8Array([1]), signature)) };
    },
  };
}

export interface SubmitOptions {
  /** Shown in errors: the network's name. */
  network: string;
  timeoutMs: number;
}

/**
 * Signs through the ChainSigner (keys stay behind it, immortal era), submits,
 * waits until the extrinsic is in a block, then reads that block's
 * System.Events: a failed call rejects with a ChainDispatchError naming the
 * pallet's error instead of passing for a success. Resolves with the block hash.
 */
export async function submitExtrinsic(api: ApiPromise, tx: SubmittableExtrinsic<'promise'>, signer: ChainSigner, options: SubmitOptions): Promise<string> {
  await tx.signAsync(signer.address, { signer: polkadotSigner(api, signer), era: 0 });
  const blockHash = await inclusion(api, tx, options);
  const failure = await dispatchFailure(api, blockHash, tx);
  if (failure) throw failure;
  return blockHash;
}

function inclusion(api: ApiPromise, tx: SubmittableExtrinsic<'promise'>, options: SubmitOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const timer = setTimeout(() => finish(new Error(`the transaction was not included within ${Math.round(options.timeoutMs / 1000)} s`)), options.timeoutMs);
    function finish(error: Error | null, hash?: string) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      if (error) reject(error);
      else resolve(hash as string);
    }
    api.rpc.author
      .submitAndWatchExtrinsic(tx, (status) => {
        if (status.isInBlock) finish(null, status.asInBlock.toHex());
        else if (status.isFinalized) finish(null, status.asFinalized.toHex());
        else if (status.isInvalid) finish(new Error('the node dropped the transaction as invalid before it reached a block (fee, nonce or permission)'));
        else if (status.isDropped) finish(new Error('the transaction was dropped from the pool'));
        else if (status.isUsurped) finish(new Error('the transaction was replaced by another with the same nonce'));
      })
      .then(
        (unsub) => {
          unsubscribe = unsub;
          if (done) unsub();
        },
        (error: unknown) => finish(new Error(`${options.network} refused the transaction: ${error instanceof Error ? error.message : String(error)}`)),
      );
  });
}

/** The failure recorded for `tx` in its block's events, or null (success, or a node that shows no body to check). */
async function dispatchFailure(api: ApiPromise, blockHash: string, tx: SubmittableExtrinsic<'promise'>): Promise<ChainDispatchError | null> {
  const signed = await api.rpc.chain.getBlock(blockHash);
  const index = signed.block.extrinsics.findIndex((x) => x.hash.eq(tx.hash));
  if (index < 0) return null;
  const atBlock = await api.at(blockHash);
  const records = (await atBlock.query['system']!['events']!()) as unknown as EventRecord[];
  for (const { phase, event } of records) {
    if (!phase.isApplyExtrinsic || !phase.asApplyExtrinsic.eqn(index)) continue;
    if (event.section === 'system' && event.method === 'ExtrinsicFailed') return describeDispatchError(api, event.data[0] as DispatchError);
  }
  return null;
}
