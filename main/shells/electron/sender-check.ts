/** The parts of an IPC event a sender check needs (structural, so tests need no Electron). */
export interface IpcSenderLike {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export interface TrustedRenderer {
  webContentsId: number;
  /** The file:// URL of our index.html; query and fragment are ignored. */
  pageUrl: string;
}

function withoutSuffix(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    parsed.search = '';
    return parsed.href;
  } catch {
    return '';
  }
}

/**
 * Only our own window's top frame, showing our own page, may talk to the core.
 * A navigated-away window, an iframe or any other webContents is refused.
 */
export function isTrustedSender(event: IpcSenderLike, trusted: TrustedRenderer | undefined): boolean {
  if (!trusted || !event.senderFrame) return false;
  if (event.sender.id !== trusted.webContentsId) return false;
  if (event.senderFrame.parent) return false;
  return withoutSuffix(event.senderFrame.url) === withoutSuffix(trusted.pageUrl);
}
