import type { TrainerPhase } from '../../../contract';
import { Card } from '../components/Card';
import { formatClock, formatDuration } from '../format';
import { useStore } from '../store';
import { coreSelectors } from '../store/slices/core';
import { roundSelectors } from '../store/slices/round';
import { EarningStatus } from './dashboard/EarningStatus';
import { GpuCards } from './dashboard/GpuCards';
import { RankCard } from './dashboard/RankCard';
import { RewardsCard } from './dashboard/RewardsCard';
import { LiveRoundCard } from './dashboard/LiveRoundCard';
import { ScheduleStatus } from '../components/ScheduleStatus';
import { ThrottleIndicator } from '../components/ThrottleIndicator';

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
  const idle = useStore(coreSelectors.trainer);
  const round = useStore(roundSelectors.round);
  // Once joined, the round engine knows what the trainer is doing; before that, the core's idle state.
  const joined = round?.joined ?? false;
  const phase = joined && round ? round.phase : idle?.phase;
  const detail = joined && round ? (round.blocker ?? `Window ${round.window ?? '—'}: ${round.innerStep} of ${round.innerSteps} inner steps.`) : idle?.detail;
  return (
    <Card title="Trainer" testId="trainer-card">
      {phase ? (
        <>
          <p>
            <span className={`phase phase-${PHASE_TONE[phase]}`} data-testid="trainer-phase">
              {phase}
            </span>{' '}
            {!joined && idle && <span className="muted">since {formatClock(idle.since)}</span>}
          </p>
          <p className="muted">{detail}</p>
          <ThrottleIndicator />
          <ScheduleStatus />
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
    <>
      <EarningStatus />
      <div className="grid dashboard-grid">
        <LiveRoundCard />
        <RewardsCard />
        <RankCard />
        <GpuCards />
        <TrainerCard />
        <CoreCard />
      </div>
    </>
  );
}
