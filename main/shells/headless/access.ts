import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HEADLESS } from '../../../contract';

export function newToken(): string {
  return crypto.randomBytes(32).toString('hex');
}

/** Constant-time comparison so the token cannot be guessed byte by byte from timings. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

/**
 * Decides which Host and Origin headers a request may carry. On loopback, only
 * loopback names are accepted, which defeats DNS-rebinding pages that point a
 * foreign name at 127.0.0.1; a foreign Origin (another site in the user's
 * browser) is always refused.
 */
export class AccessPolicy {
  private hosts = new Set<string>();

  constructor(
    private readonly bindHost: string,
    private readonly token: string,
  ) {}

  setPort(port: number): void {
    const names = isLoopbackHost(this.bindHost) ? ['127.0.0.1', 'localhost', '[::1]'] : [this.bindHost];
    if (!names.includes(this.bindHost) && !this.bindHost.includes(':')) names.push(this.bindHost);
    this.hosts = new Set(names.map((n) => `${n}:${port}`));
  }

  /** Non-loopback binds are an explicit choice to be reached by other names, so only loopback is strict. */
  hostAllowed(req: IncomingMessage): boolean {
    if (!isLoopbackHost(this.bindHost)) return true;
    return req.headers.host !== undefined && this.hosts.has(req.headers.host.toLowerCase());
  }

  /** Browsers always send Origin on WebSocket and cross-site requests; a missing one is a non-browser client. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      const url = new URL(origin);
      if (url.protocol !== 'http:') return false;
      if (!isLoopbackHost(this.bindHost)) return url.host === req.headers.host;
      return this.hosts.has(url.host.toLowerCase());
    } catch {
      return false;
    }
  }

  bearerAllowed(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    return tokenMatches(this.token, match?.[1]);
  }

  /** The token travels as a WebSocket subprotocol so it never appears in URLs or access logs. */
  subprotocolTokenAllowed(req: IncomingMessage): boolean {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const tokenProtocol = offered.find((p) => p.startsWith(HEADLESS.tokenSubprotocolPrefix));
    return tokenMatches(this.token, tokenProtocol?.slice(HEADLESS.tokenSubprotocolPrefix.length));
  }
}
