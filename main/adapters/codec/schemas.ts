import { z } from 'zod';
import { CodecArgumentError } from './errors';

/** Limits mirrored from native/codec (chunking.h, payload.h). */
export const MAX_CHUNK_SIZE = 65536;
export const MAX_BLOCK_SIZE = 256;
export const MAX_DIMS = 8;
export const MAX_NAME_BYTES = 1024;
export const MAX_DECODE_VALUES = 2 ** 40;

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const EncodeOptionsSchema = z
  .object({
    /** Kept values per chunk (clamped to the chunk size natively). */
    k: z.number().int().min(1).max(MAX_CHUNK_SIZE).default(64),
    /** Max chunk side: 64 → 64×64 = 4096-value chunks for 2-D tensors, rows of 64 for 1-D. */
    blockSize: z.number().int().min(1).max(MAX_BLOCK_SIZE).default(64),
    /** Error-feedback decay β. */
    beta: z.number().min(0).max(1).default(0.95),
  })
  .strict();

export const TensorInputSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_NAME_BYTES, `at most ${MAX_NAME_BYTES} UTF-8 bytes`),
    shape: z.array(z.number().int().min(1).max(2 ** 40)).max(MAX_DIMS),
    data: z.instanceof(Float32Array),
    errorFeedback: z.instanceof(Float32Array).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const n = numel(t.shape);
    if (t.data.length !== n) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `has ${t.data.length} values, shape needs ${n}` });
    }
    if (t.errorFeedback) {
      if (t.errorFeedback.length !== n) {
        ctx.addIssue({
          code: 'custom',
          path: ['errorFeedback'],
          message: `has ${t.errorFeedback.length} values, shape needs ${n}`,
        });
      }
      if (t.errorFeedback.buffer === t.data.buffer) {
        ctx.addIssue({ code: 'custom', path: ['errorFeedback'], message: 'must not share memory with data' });
      }
    }
  });

export const TensorInputsSchema = z.array(TensorInputSchema).superRefine((tensors, ctx) => {
  const seen = new Set<string>();
  tensors.forEach((t, i) => {
    if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate tensor name "${t.name}"` });
    seen.add(t.name);
  });
});

export const DecodeOptionsSchema = z
  .object({
    /** Refuse payloads whose tensors hold more dense values than this (memory guard). */
    maxValues: z.number().int().min(1).max(MAX_DECODE_VALUES).default(2 ** 30),
    /** Reject payloads whose k differs (0 = accept any). */
    expectedK: z.number().int().min(0).max(MAX_CHUNK_SIZE).default(0),
  })
  .strict();

export const PayloadSchema = z.instanceof(Uint8Array);
export const PayloadListSchema = z.array(PayloadSchema).min(1);
export const WeightsSchema = z.instanceof(Float32Array);
export const LearningRateSchema = z.number().finite();

function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    root,
  );
}

/** Parses `value` or throws CodecArgumentError naming the first offending argument path. */
export function parseArgument<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new CodecArgumentError(issue ? formatPath(root, issue.path) : root, issue?.message ?? 'invalid');
}
