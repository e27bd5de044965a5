/** A JSON-RPC error as substrate reports it: a code, a message and, for transactions, the reason as data. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly rpcMessage: string,
    readonly data?: string,
  ) {
    super(data ? `${rpcMessage}: ${data}` : rpcMessage);
    this.name = 'RpcError';
  }

  toJson(): { code: number; message: string; data?: string } {
    return { code: this.code, message: this.rpcMessage, ...(this.data ? { data: this.data } : {}) };
  }
}

/** sp_runtime's InvalidTransaction, as a node's pool reports it (error 1010, the reason as data). */
export const invalidTransaction = (reason: string) => new RpcError(1010, 'Invalid Transaction', reason);
