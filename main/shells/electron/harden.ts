import { shell, type Session, type WebContents } from 'electron';
import { contentSecurityPolicy } from '../content-security-policy';

/** Sends our CSP with every response, on top of the meta tag in index.html. */
export function installContentSecurityPolicy(session: Pick<Session, 'webRequest'>): void {
  const policy = contentSecurityPolicy();
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
}

/**
 * No navigation away from our page, no new windows, no webviews. Links to the
 * web open in the user's browser, and only https ones.
 */
export function hardenWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, pageUrl: () => string): void {
  contents.on('will-navigate', (event, url) => {
    if (url.split('#')[0] !== pageUrl().split('#')[0]) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
