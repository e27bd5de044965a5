/**
 * Tandem sparse-update codec (SparseLoCo): error feedback, top-k per chunk,
 * 2-bit quantisation, a compact checksummed payload, validation and
 * aggregation. The work happens in the native addon (native/addon over
 * native/codec); this module validates every argument in TypeScript first,
 * then calls it and converts native failures into CodecError.
 */
import type {
  CodecAddon,
  NativeAggregateResult,
  NativeDescendResult,
  NativeDenseTensor,
  NativePayloadInfo,
  NativeStagedPayload,
  NativeTensorInput,
  NativeValidation,
} from './addon-types';
import { fromNativeError } from './errors';
import { loadCodecAddon } from './loader';
import {
  DecodeOptionsSchema,
  EncodeOptionsSchema,
  LearningRateSchema,
  parseArgument,
  PayloadListSchema,
  PayloadSchema,
  TensorInputsSchema,
  WeightsSchema,
} from './schemas';
import { z } from 'zod';

export type TensorInput = NativeTensorInput;
export type EncodeOptions = z.input<typeof EncodeOptionsSchema>;
export type DecodeOptions = z.input<typeof DecodeOptionsSchema>;
export type DecodedTensor = NativeDenseTensor;
export type PayloadInfo = NativePayloadInfo;
export type PayloadValidation = NativeValidation;
export type AggregateResult = NativeAggregateResult;
export type DescendResult = NativeDescendResult;

/**
 * A payload decoded and fully validated once, when it arrived, and held
 * decoded for the outer step (as the trainer's stage_payload holds it).
 * Its memory goes with the last reference to it.
 */
export class StagedPayload {
  constructor(
    /** The encoded payload's size. */
    readonly bytes: number,
    /** The addon's handle. */
    readonly native: NativeStagedPayload,
  ) {}
}

export type StageResult = { ok: true; payload: StagedPayload } | Exclude<PayloadValidation, { ok: true }>;

export { CodecAddonMissingError, CodecArgumentError, CodecError } from './errors';
export { addonCandidates, loadCodecAddon, loadCodecAddonUncached } from './loader';

async function callNative<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw fromNativeError(error);
  }
}

/** Codec bound to one addon instance (injectable for tests). */
export class TandemCodec {
  constructor(private readonly addon: () => CodecAddon = loadCodecAddon) {}

  /** Runs EF + top-k + quantisation; updates each errorFeedback in place; resolves to the payload. */
  async encodeTensors(tensors: readonly TensorInput[], options: EncodeOptions = {}): Promise<Buffer> {
    const inputs = parseArgument(TensorInputsSchema, tensors, 'tensors');
    const opts = parseArgument(EncodeOptionsSchema, options, 'options');
    return callNative(() => this.addon().encode(inputs, opts));
  }

  /** Decodes a payload into dense tensors (zeros where nothing was sent). */
  async decodePayload(payload: Uint8Array, options: DecodeOptions = {}): Promise<DecodedTensor[]> {
    const bytes = parseArgument(PayloadSchema, payload, 'payload');
    const opts = parseArgument(DecodeOptionsSchema, options, 'options');
    return callNative(() => this.addon().decode(bytes, opts));
  }

  /** Header view (names, shapes, chunking, k, tables, sizes); checks the checksum, decodes no streams. */
  inspectPayload(payload: Uint8Array, options: DecodeOptions = {}): PayloadInfo {
    const bytes = parseArgument(PayloadSchema, payload, 'payload');
    const opts = parseArgument(DecodeOptionsSchema, options, 'options');
    try {
      return this.addon().inspect(bytes, opts);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** Full validation; never rejects for a bad payload, reports { ok: false, code, field, message }. */
  async validatePayload(payload: Uint8Array, options: DecodeOptions = {}): Promise<PayloadValidation> {
    const bytes = parseArgument(PayloadSchema, payload, 'payload');
    const opts = parseArgument(DecodeOptionsSchema, options, 'options');
    return callNative(() => this.addon().validate(bytes, opts));
  }

  /** Median-norm clipped mean of the valid payloads; invalid ones are listed in droppedPeers. */
  async aggregatePayloads(payloads: readonly Uint8Array[], options: DecodeOptions = {}): Promise<AggregateResult> {
    const list = parseArgument(PayloadListSchema, payloads, 'payloads');
    const opts = parseArgument(DecodeOptionsSchema, options, 'options');
    return callNative(() => this.addon().aggregate(list, opts));
  }

  /** Decodes and fully validates a payload once, to be applied later; never rejects for a bad payload, reports why. */
  async stagePayload(payload: Uint8Array, options: DecodeOptions = {}): Promise<StageResult> {
    const bytes = parseArgument(PayloadSchema, payload, 'payload');
    const opts = parseArgument(DecodeOptionsSchema, options, 'options');
    const staged = await callNative(() => this.addon().stage(bytes, opts));
    return staged.ok ? { ok: true, payload: new StagedPayload(bytes.length, staged.payload) } : staged;
  }

  /**
   * The outer step in place: weights −= lr · aggregate of the staged
   * payloads (the same median-norm clipped mean as aggregatePayloads), on
   * the coordinates some peer sent; the others keep their bits. `weights`
   * holds the payloads' tensors one after the other, in their order; it
   * must not be read or written until the promise settles. A payload of
   * another layout than the first is dropped; rejects, changing nothing,
   * when the weights do not match the layout.
   */
  async descend(staged: readonly StagedPayload[], weights: Float32Array, lr: number): Promise<DescendResult> {
    const list = parseArgument(StagedListSchema, staged, 'staged');
    const target = parseArgument(WeightsSchema, weights, 'weights');
    const rate = parseArgument(LearningRateSchema, lr, 'lr');
    return callNative(() => this.addon().descend(list.map((s) => s.native), target, rate));
  }

  /** The digest of a model's weights that the trainer reports as model_digest (16 hex digits). */
  async weightsDigest(weights: Float32Array): Promise<string> {
    const target = parseArgument(WeightsSchema, weights, 'weights');
    return callNative(() => this.addon().weightsDigest(target));
  }
}

const StagedListSchema = z.array(z.instanceof(StagedPayload)).min(1);

const defaultCodec = new TandemCodec();

export const encodeTensors = defaultCodec.encodeTensors.bind(defaultCodec);
export const decodePayload = defaultCodec.decodePayload.bind(defaultCodec);
export const inspectPayload = defaultCodec.inspectPayload.bind(defaultCodec);
export const validatePayload = defaultCodec.validatePayload.bind(defaultCodec);
export const aggregatePayloads = defaultCodec.aggregatePayloads.bind(defaultCodec);
export const stagePayload = defaultCodec.stagePayload.bind(defaultCodec);
export const descend = defaultCodec.descend.bind(defaultCodec);
export const weightsDigest = defaultCodec.weightsDigest.bind(defaultCodec);
