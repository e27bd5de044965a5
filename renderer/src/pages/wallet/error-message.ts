import { ContractError } from '../../../../contract';

/** A failed wallet or chain request in words: the fields the core refused, else the error's message. */
export function errorMessage(error: unknown): string {
  if (error instanceof ContractError && error.issues?.length) return error.issues.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}
