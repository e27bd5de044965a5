import {
  ContractError,
  RequestEnvelope,
  issuesFromZod,
  isMethodName,
  methods,
  type MethodName,
  type MethodResult,
  type ParsedParams,
  type ResponseEnvelope,
} from '../../contract';

export type Handlers = {
  [M in MethodName]: (params: ParsedParams<M>) => Promise<MethodResult<M>> | MethodResult<M>;
};

function failure(id: string | null, error: ContractError): ResponseEnvelope {
  return { kind: 'response', id, ok: false, error: error.toBody() };
}

/** Best effort to echo the caller's id even when the rest of the envelope is broken. */
function salvageId(raw: unknown): string | null {
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'string' && id.length > 0 && id.length <= 64) return id;
  }
  return null;
}

/**
 * Turns any raw message into a response envelope, never a throw: validation
 * happens in layers (envelope, method, params, result) and each layer has its
 * own error code, so a bad message gets a typed error and the core keeps serving.
 */
export function createDispatcher(handlers: Handlers, onInternalError?: (error: unknown, method: string) => void) {
  return async function dispatch(raw: unknown): Promise<ResponseEnvelope> {
    const envelope = RequestEnvelope.safeParse(raw);
    if (!envelope.success) {
      return failure(salvageId(raw), new ContractError('BAD_MESSAGE', 'not a valid request envelope', issuesFromZod(envelope.error)));
    }
    const { id, method } = envelope.data;
    if (!isMethodName(method)) return failure(id, new ContractError('UNKNOWN_METHOD', `unknown method ${method}`));

    const spec = methods[method];
    const params = spec.params.safeParse(envelope.data.params ?? {});
    if (!params.success) {
      return failure(id, new ContractError('INVALID_PARAMS', `invalid params for ${method}`, issuesFromZod(params.error)));
    }
    try {
      const handler = handlers[method] as (p: unknown) => unknown;
      const result = spec.result.safeParse(await handler(params.data));
      if (!result.success) {
        onInternalError?.(result.error, method);
        return failure(id, new ContractError('INTERNAL', `the core produced an invalid result for ${method}`));
      }
      return { kind: 'response', id, ok: true, result: result.data };
    } catch (error) {
      if (error instanceof ContractError) return failure(id, error);
      onInternalError?.(error, method);
      return failure(id, new ContractError('INTERNAL', `${method} failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  };
}

export type Dispatch = ReturnType<typeof createDispatcher>;
