import { z } from 'zod';

/**
 * Every failure that crosses a bridge carries one of these codes, so the UI can
 * react to the kind of failure (re-authenticate, fix a field, retry) without
 * parsing message text.
 */
export const ErrorCode = z.enum([
  'BAD_MESSAGE', // not a well-formed request envelope at all
  'UNKNOWN_METHOD', // envelope fine, method not in the contract
  'INVALID_PARAMS', // method known, params fail the schema
  'UNAUTHORIZED', // sender not trusted (IPC sender check, missing token)
  'FAILED', // the core understood the request and refused or could not do it
  'INTERNAL', // a bug: the core threw something unexpected
  'DISCONNECTED', // client side: the transport went away before an answer came
  'TIMEOUT', // client side: no answer in time
  'BAD_RESPONSE', // client side: the answer did not match the contract
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const FieldIssue = z.object({
  /** Dotted path of the offending field, e.g. `headless.port`; empty for the root. */
  path: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

export const ContractErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(FieldIssue).optional(),
});
export type ContractErrorBody = z.infer<typeof ContractErrorBody>;

/** Thrown by handlers and clients alike; serializes to {@link ContractErrorBody}. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly issues: FieldIssue[] | undefined;

  constructor(code: ErrorCode, message: string, issues?: FieldIssue[]) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
    this.issues = issues;
  }

  toBody(): ContractErrorBody {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

/** Turns zod issues into field issues with dotted paths a person can find in a file. */
export function issuesFromZod(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => flattenIssue(issue, []));
}

/**
 * A field that may take one of several shapes fails as "Invalid input",
 * which names nothing. When the value had the right type for one of the
 * shapes (an array where a list or a name is allowed), that shape's own
 * issues say what is wrong inside it.
 */
function flattenIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): FieldIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const inside = issue.errors.filter((branch) => branch.length > 0 && !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (inside.length === 1) return inside[0]!.flatMap((i) => flattenIssue(i, path));
  }
  return [{ path: path.map(String).join('.'), message: issue.message }];
}

/** One line naming each bad field, e.g. `headless.port: Too big: expected number to be <=65535`. */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}
