import { useClient } from '../client-context';
import { formatClock } from '../format';
import { useStore } from '../store';
import { operationsSelectors } from '../store/slices/operations';

/** Unread notifications (missed rounds, failed checks, crash loops, low balance) above every page; the desktop app also shows them as system notifications. */
export function NotificationsArea() {
  const client = useClient();
  const notifications = useStore(operationsSelectors.notifications);
  const count = useStore(operationsSelectors.unreadCount);
  const unread = notifications.filter((n) => !n.read).slice(0, 3);
  const replace = useStore((s) => s.replaceNotifications);
  if (count === 0) return null;
  const dismiss = async (ids: number[]) => replace(await client.request('notifications.markRead', { ids }));
  return (
    <section className="notifications" aria-label="Notifications" data-testid="notifications">
      {unread.map((n) => (
        <div key={n.id} className={`banner ${n.severity === 'info' ? '' : n.severity === 'error' ? 'banner-error' : 'banner-warn'}`} role={n.severity === 'error' ? 'alert' : 'status'}>
          <strong>{n.title}</strong> <span className="muted">{formatClock(n.at)}</span>
          <br />
          {n.body}{' '}
          <button type="button" onClick={() => void dismiss([n.id])} aria-label={`Dismiss: ${n.title}`}>
            Dismiss
          </button>
        </div>
      ))}
      {count > unread.length && (
        <button type="button" onClick={() => void dismiss(notifications.map((n) => n.id))}>
          Dismiss all {count}
        </button>
      )}
    </section>
  );
}
