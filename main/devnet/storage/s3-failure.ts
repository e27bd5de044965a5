import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { XMLBuilder } from 'fast-xml-parser';

/** The S3 error codes the gateway answers itself, with the HTTP status S3 gives each. */
const STATUS = {
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  RequestTimeTooSkewed: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  InvalidRequest: 400,
  InvalidArgument: 400,
  XAmzContentSHA256Mismatch: 400,
  NotImplemented: 501,
  InternalError: 500,
} as const;

export type S3FailureCode = keyof typeof STATUS;

/** A refusal the gateway sends back as an S3 XML error, so any S3 client reads its code as the error's name. */
export class S3Failure extends Error {
  readonly status: number;

  constructor(
    readonly code: S3FailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'S3Failure';
    this.status = STATUS[code];
  }
}

const xml = new XMLBuilder({});

/**
 * Writes `failure` the way S3 does: an `<Error>` document with Code, Message,
 * Resource and RequestId (no body for HEAD, where S3 sends none either; the
 * code then travels in `x-amz-error-code`, as s3rver does).
 */
export function sendFailure(res: ServerResponse, failure: S3Failure, request: { method?: string; resource: string }): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = crypto.randomBytes(8).toString('hex').toUpperCase();
  const body =
    request.method === 'HEAD'
      ? ''
      : '<?xml version="1.0" encoding="UTF-8"?>\n' + xml.build({ Error: { Code: failure.code, Message: failure.message, Resource: request.resource, RequestId: requestId } });
  res.writeHead(failure.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
    'x-amz-error-code': failure.code,
  });
  res.end(body);
}
