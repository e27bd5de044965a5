const STORAGE_KEY = 'tandem.token';

/**
 * Takes the access token from the `#token=` fragment (which browsers never send
 * to servers), keeps it for reloads of this tab only, and removes it from the
 * address bar so it does not end up in screenshots or shared links.
 */
export function takeAccessToken(location: Location, history: History, storage: Storage): string | undefined {
  const match = /(?:^#|&)token=([0-9a-fA-F]{16,128})/.exec(location.hash);
  if (match?.[1]) {
    storage.setItem(STORAGE_KEY, match[1]);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return match[1];
  }
  return storage.getItem(STORAGE_KEY) ?? undefined;
}
