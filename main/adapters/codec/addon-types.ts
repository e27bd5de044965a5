/**
 * Hand-written typings of native/addon (tandem_codec.node). Keep in sync with
 * native/addon/src/*.cpp. The addon validates again, but callers should go
 * through ./index, which validates arguments before any native call.
 */

export interface NativeTensorInput {
  name: string;
  shape: number[];
  /** Pseudo-gradient Δ, row-major, product(shape) values. */
  data: Float32Array;
  /** Error-feedback buffer, updated in place (e ← β·e + Δ − sent). Do not touch it until the promise settles. */
  errorFeedback?: Float32Array;
}

export interface NativeEncodeOptions {
  k?: number;
  blockSize?: number;
  beta?: number;
}

export interface NativeDecodeOptions {
  maxValues?: number;
  expectedK?: number;
}

export interface NativeDenseTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface NativeTensorInfo {
  name: string;
  shape: number[];
  chunkRows: number;
  chunkCols: number;
  chunkCount: number;
  k: number;
  table: [number, number, number, number];
  levelFrequencies: [number, number, number, number];
  golombM: number;
  headerBytes: number;
  indexBytes: number;
  levelBytes: number;
  keptValues: number;
}

export interface NativePayloadInfo {
  version: number;
  k: number;
  totalBytes: number;
  totalValues: number;
  keptValues: number;
  bitsPerKeptValue: number;
  tensors: NativeTensorInfo[];
}

/** Codes from native/codec/include/tandem_codec/status.h (errorCodeName). */
export type NativeErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'CHECKSUM_MISMATCH'
  | 'INVALID_FIELD'
  | 'LIMIT_EXCEEDED'
  | 'INVALID_ARGUMENT'
  | 'NON_FINITE_INPUT'
  | 'LAYOUT_MISMATCH'
  | 'NO_VALID_PAYLOADS'
  | 'OUT_OF_MEMORY';

export type NativeValidation =
  | { ok: true }
  | { ok: false; code: NativeErrorCode; field: string; message: string };

export interface NativeDroppedPeer {
  ok: false;
  peer: number;
  code: NativeErrorCode;
  field: string;
  message: string;
}

export interface NativeAggregateResult {
  tensors: NativeDenseTensor[];
  usedPeers: number[];
  droppedPeers: NativeDroppedPeer[];
  medianNorms: number[];
}

/** A payload the addon holds decoded (an opaque handle; see StagedPayload). */
export type NativeStagedPayload = { readonly __nativeStagedPayload: never };

export type NativeStageResult =
  | { ok: true; payload: NativeStagedPayload }
  | { ok: false; code: NativeErrorCode; field: string; message: string };

export interface NativeDescendResult {
  usedPeers: number[];
  droppedPeers: NativeDroppedPeer[];
  /** ‖lr · aggregate‖ over the whole model. */
  updateNorm: number;
}

export interface CodecAddon {
  encode(tensors: NativeTensorInput[], options?: NativeEncodeOptions): Promise<Buffer>;
  decode(payload: Uint8Array, options?: NativeDecodeOptions): Promise<NativeDenseTensor[]>;
  inspect(payload: Uint8Array, options?: NativeDecodeOptions): NativePayloadInfo;
  validate(payload: Uint8Array, options?: NativeDecodeOptions): Promise<NativeValidation>;
  aggregate(payloads: Uint8Array[], options?: NativeDecodeOptions): Promise<NativeAggregateResult>;
  stage(payload: Uint8Array, options?: NativeDecodeOptions): Promise<NativeStageResult>;
  descend(staged: NativeStagedPayload[], weights: Float32Array, lr: number): Promise<NativeDescendResult>;
  weightsDigest(weights: Float32Array): Promise<string>;
  readonly formatVersion: number;
}
