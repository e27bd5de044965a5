import type { NativeErrorCode } from './addon-types';

/** The native addon binary is missing or failed to load. */
export class CodecAddonMissingError extends Error {
  override readonly name = 'CodecAddonMissingError';
  constructor(
    readonly searched: string[],
    cause?: unknown,
  ) {
    super(
      `codec addon not built: run npm run build:native (looked in ${searched.join(', ') || 'nowhere'})` +
        (cause instanceof Error ? `: ${cause.message}` : ''),
      { cause },
    );
  }
}

/** Arguments rejected in TypeScript, before any native call. `field` is the argument path. */
export class CodecArgumentError extends Error {
  override readonly name = 'CodecArgumentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid argument '${field}': ${message}`);
  }
}

/** The codec rejected a payload or input; `field` names the payload field at fault. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: NativeErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Turns an error thrown/rejected by the addon into a CodecError when it carries a code. */
export function fromNativeError(error: unknown): unknown {
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    const { code, field } = error as Error & { code: NativeErrorCode; field?: string };
    return new CodecError(code, field ?? '', error.message);
  }
  return error;
}
