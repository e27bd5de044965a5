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
  NativeDenseTensor,
  NativePayloadInfo,
  NativeTensorInput,
  NativeValidation,
} from './addon-types';
import { fromNativeError } from './errors';
import { loadCodecAddon } from './loader';
import {
  DecodeOptionsSchema,
  EncodeOptionsSchema,
  parseArgument,
  PayloadListSchema,
  PayloadSchema,
  TensorInputsSchema,
} from './schemas';
import type { z } from 'zod';

export type TensorInput = NativeTensorInput;
export type EncodeOptions = z.input<typeof EncodeOptionsSchema>;
export type DecodeOptions = z.input<typeof DecodeOptionsSchema>;
export type DecodedTensor = NativeDenseTensor;
export type PayloadInfo = NativePayloadInfo;
export type PayloadValidation = NativeValidation;
export type AggregateResult = NativeAggregateResult;

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
}

const defaultCodec = new TandemCodec();

export const encodeTensors = defaultCodec.encodeTensors.bind(defaultCodec);
export const decodePayload = defaultCodec.decodePayload.bind(defaultCodec);
export const inspectPayload = defaultCodec.inspectPayload.bind(defaultCodec);
export const validatePayload = defaultCodec.validatePayload.bind(defaultCodec);
export const aggregatePayloads = defaultCodec.aggregatePayloads.bind(defaultCodec);
