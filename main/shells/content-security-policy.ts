/**
 * The one Content-Security-Policy for the renderer, in Electron and in the
 * browser tab alike: only our own scripts and styles, no eval, no plugins, no
 * framing. `connect-src` is the only part that differs: the headless UI needs
 * its own WebSocket origin.
 */
export function contentSecurityPolicy(options: { connectSources?: string[] } = {}): string {
  const connect = ["'self'", ...(options.connectSources ?? [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
