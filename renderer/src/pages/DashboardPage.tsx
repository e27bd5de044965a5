import type { TrainerPhase } from '../../../contract';
import { Card, EmptyState } from '../components/Card';
import { formatClock, formatDuration } from '../format';
import { useStore } from '../store';
import { coreSelectors } from '../store/slices/core';
import { LiveRoundCard } from './dashboard/LiveRoundCard';

const PHASE_TONE: Record<TrainerPhase, 'idle' | 'busy' | 'warn' | 'bad'> = {
  idle: 'idle',
  starting: 'busy',
  syncing: 'busy',
  training: 'busy',
  uploading: 'busy',
  gathering: 'busy',
  applying: 'busy',
  paused: 'warn',
  error: 'bad',
};

function Uptime() {
  const uptime = useStore(coreSelectors.uptimeSeconds);
  return <dd data-testid="uptime">{uptime === null ? '…' : formatDuration(uptime)}</dd>;
}

function TrainerCard() {
  const trainer = useStore(coreSelectors.trainer);
  return (
    <Card title="Trainer" testId="trainer-card">
      {trainer ? (
        <>
          <p>
            <span className={`phase phase-${PHASE_TONE[trainer.phase]}`} data-testid="trainer-phase">
              {trainer.phase}
            </span>{' '}
            <span className="muted">since {formatClock(trainer.since)}</span>
          </p>
          <p className="muted">{trainer.detail}</p>
        </>
      ) : (
        <p className="muted">Waiting for the core…</p>
      )}
    </Card>
  );
}

function CoreCard() {
  const version = useStore(coreSelectors.version);
  const mode = useStore(coreSelectors.mode);
  const network = useStore(coreSelectors.networkTarget);
  return (
    <Card title="This app" testId="core-card">
      <dl className="facts">
        <dt>Version</dt>
        <dd data-testid="core-version">{version ?? '…'}</dd>
        <dt>Mode</dt>
        <dd>{mode === 'headless' ? 'Headless (browser UI)' : mode === 'electron' ? 'Desktop' : '…'}</dd>
        <dt>Uptime</dt>
        <Uptime />
        <dt>Network</dt>
        <dd data-testid="network-target">{network ?? '…'}</dd>
      </dl>
    </Card>
  );
}

export function DashboardPage() {
  return (
    <div className="grid">
      <LiveRoundCard />
      <TrainerCard />
      <CoreCard />
      <Card title="Rewards and rank">
        <EmptyState title="No rewards yet">
          Rewards, rank among miners and the live round appear here once this machine has joined a run and finished its first round.
        </EmptyState>
      </Card>
    </div>
  );
}
