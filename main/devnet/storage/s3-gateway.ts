import { createReadStream } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { AccessKeyBook } from './access-key-book';
import { discardStaged, stageBody, type StagedBody } from './payload-staging';
import { S3Failure, sendFailure } from './s3-failure';
import { authorize, classifyRequest } from './s3-operation';
import { verifySignature } from './sigv4-verifier';

export interface S3GatewayOptions {
  keys: AccessKeyBook;
  /** The s3rver behind the gateway, on loopback. */
  upstream: { host: string; port: number };
  /** Where request bodies wait for their hash check. */
  stagingDirectory: string;
  logger?: Pick<Logger, 'warn'>;
}

// Hop-by-hop headers and the ones the gateway sets itself: never passed through.
const NOT_FORWARDED = new Set(['authorization', 'host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'content-length']);
const NOT_RETURNED = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/**
 * The devnet S3 server's front door: a plain HTTP server that lets a request
 * through to s3rver only when its SigV4 signature checks out, its key may
 * make that call on that bucket, and its body is the one that was signed.
 * Answers s3rver gives go back unchanged; refusals are S3 XML errors.
 * Requests go to s3rver without their signature (s3rver then serves them as
 * anonymous, for which it checks nothing), and without hoisted `x-amz-*`
 * query parameters, so a presigned URL cannot smuggle in a copy source.
 */
export class S3Gateway {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: S3GatewayOptions) {
    // No overall request deadline: a checkpoint over a slow link may take longer than Node's 5 minutes; clients time out stalls.
    this.server = http.createServer({ requestTimeout: 0 }, (req, res) => this.track(this.handle(req, res, false)));
    // Answer 100 Continue only once the request may go ahead: a refused upload is never sent.
    this.server.on('checkContinue', (req, res) => this.track(this.handle(req, res, true)));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops listening, cuts open connections (an upload in progress fails, nothing of it stays) and waits for handlers. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await Promise.allSettled([...this.inFlight]);
    this.agent.destroy();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const rawPath = mark < 0 ? url : url.slice(0, mark);
    const rawQuery = mark < 0 ? '' : url.slice(mark + 1);
    const method = req.method ?? 'GET';
    let staged: StagedBody | null = null;
    try {
      if (!rawPath.startsWith('/')) throw new S3Failure('InvalidRequest', 'The request target must be a path (path-style addressing: /bucket/key)');
      const { keys } = this.options;
      const verified = await verifySignature({ method, rawPath, query: parseQuery(rawQuery), headers: req.headers }, (id) => keys.find(id)?.secretAccessKey);
      const grant = keys.find(verified.accessKeyId);
      if (!grant) throw new S3Failure('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
      const forwardQuery = withoutSignatureParams(rawQuery);
      authorize(grant, classifyRequest(method, rawPath, parseQuery(forwardQuery), req.headers));
      if (expectsContinue) res.writeContinue();
      staged = await stageBody(req, this.options.stagingDirectory, verified.payloadHash);
      await this.forward(req, res, forwardQuery ? `${rawPath}?${forwardQuery}` : rawPath, staged);
    } catch (error) {
      // The client hung up (an upload cut short): there is no one to answer.
      if (req.destroyed && !req.complete) return;
      if (!(error instanceof S3Failure)) this.options.logger?.warn({ method, path: rawPath, err: (error as Error).message }, 'devnet S3: request failed inside the server');
      const failure = error instanceof S3Failure ? error : new S3Failure('InternalError', 'We encountered an internal error. Please try again.');
      sendFailure(res, failure, { method, resource: rawPath });
    } finally {
      await discardStaged(staged);
    }
  }

  /** Sends the request on to s3rver (the staged body, if any) and streams its answer back unchanged. */
  private forward(req: IncomingMessage, res: ServerResponse, path: string, staged: StagedBody | null): Promise<void> {
    const { host, port } = this.options.upstream;
    const headers = forwardedHeaders(req.headers, `${host}:${port}`, staged, req.method ?? 'GET');
    return new Promise<void>((resolve, reject) => {
      const upstream = http.request({ host, port, method: req.method, path, headers, agent: this.agent });
      upstream.on('error', reject);
      upstream.on('response', (answer) => {
        const returned = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !NOT_RETURNED.has(name)));
        res.writeHead(answer.statusCode ?? 502, returned);
        pipeline(answer, res).then(resolve, reject);
      });
      if (staged) pipeline(createReadStream(staged.file), upstream).catch(reject);
      else upstream.end();
    });
  }
}

function forwardedHeaders(incoming: IncomingHttpHeaders, host: string, staged: StagedBody | null, method: string): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { host };
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== undefined && !NOT_FORWARDED.has(name) && !name.startsWith('proxy-')) headers[name] = value;
  }
  if (staged) headers['content-length'] = staged.size;
  else if (method === 'PUT' || method === 'POST') headers['content-length'] = 0;
  return headers;
}

/** Query parameters, decoded; repeated names collect into an array, and a name without `=` has the value ''. */
function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeParam(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeParam(part.slice(eq + 1));
    const previous = query[name];
    query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

/** The raw query without a presigned URL's signature and hoisted `x-amz-*` headers, in its original encoding. */
function withoutSignatureParams(raw: string): string {
  return raw
    .split('&')
    .filter((part) => part !== '' && !decodeParam(part.split('=')[0] ?? '').toLowerCase().startsWith('x-amz-'))
    .join('&');
}

function decodeParam(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Failure('InvalidArgument', 'The query string is not valid percent-encoding');
  }
}
