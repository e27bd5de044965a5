import { useMemo } from 'react';
import type { PhaseSpan } from '../../../../contract/domains/round';
import { Card, EmptyState } from '../../components/Card';
import { LineChart } from '../../components/charts/LineChart';
import { formatDuration } from '../../format';
import { useStore } from '../../store';
import { roundSelectors } from '../../store/slices/round';
import { useNow } from '../../use-now';
import { JoinButton } from './JoinButton';

const PHASE_LABEL: Record<string, string> = {
  syncing: 'Syncing',
  training: 'Training',
  uploading: 'Uploading',
  gathering: 'Gathering',
  applying: 'Applying',
};

/** The window's phases in order, each with how long it took and its deadline. */
function PhaseTimeline({ timeline, now }: { timeline: PhaseSpan[]; now: number }) {
  return (
    <ol className="phase-timeline" aria-label="Phases of this window" data-testid="phase-timeline">
      {timeline.map((span, i) => {
        const end = span.endedAt ?? now;
        const late = span.deadline !== null && end > span.deadline;
        return (
          <li key={`${span.phase}-${i}`} className={`phase-step ${span.endedAt === null ? 'phase-step-active' : 'phase-step-done'} ${late ? 'phase-step-late' : ''}`}>
            <span className="phase-step-name">{PHASE_LABEL[span.phase] ?? span.phase}</span>
            <span className="muted">
              {formatDuration(Math.max(0, Math.round((end - span.startedAt) / 1000)))}
              {span.deadline !== null && span.endedAt === null ? ` · due in ${formatDuration(Math.max(0, Math.round((span.deadline - now) / 1000)))}` : ''}
              {late ? ' · late' : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

const formatLoss = (v: number) => v.toFixed(3);

export function LiveRoundCard() {
  const round = useStore(roundSelectors.round);
  const lossHistory = useStore(roundSelectors.lossHistory);
  const now = useNow();
  const series = useMemo(() => {
    const points = lossHistory ?? [];
    return { x: points.map((_, i) => i + 1), y: points.map((p) => p.loss) };
  }, [lossHistory]);

  if (!round) {
    return (
      <Card title="Live round" testId="live-round">
        <p className="muted">Waiting for the core…</p>
      </Card>
    );
  }
  const percent = round.innerSteps > 0 ? Math.round((100 * round.innerStep) / round.innerSteps) : 0;
  return (
    <Card title="Live round" testId="live-round">
      <JoinButton />
      {round.blocker && (
        <p className="muted" role="status" data-testid="round-blocker">
          {round.blocker}
        </p>
      )}
      <dl className="facts">
        <dt>Window</dt>
        <dd data-testid="round-window">{round.window ?? '—'}</dd>
        <dt>Phase</dt>
        <dd data-testid="round-phase">{round.phase}</dd>
        <dt>Rounds done</dt>
        <dd data-testid="rounds-completed">{round.completedRounds}</dd>
        <dt>Speed</dt>
        <dd>{round.tokensPerSecond === null ? '—' : `${Math.round(round.tokensPerSecond).toLocaleString()} tokens/s`}</dd>
      </dl>
      <div className="step-progress">
        <label htmlFor="inner-step-progress">
          Inner steps {round.innerStep} / {round.innerSteps}
          {round.etaSeconds !== null && round.phase === 'training' ? ` · about ${formatDuration(Math.round(round.etaSeconds))} left` : ''}
        </label>
        <progress id="inner-step-progress" max={Math.max(1, round.innerSteps)} value={round.innerStep} aria-valuetext={`${percent} %`} />
        <progress className="window-progress" max={1} value={round.windowProgress} aria-label="Window elapsed" />
      </div>
      {round.timeline.length > 0 && <PhaseTimeline timeline={round.timeline} now={now} />}
      {round.lastRound && (
        <p className="muted" data-testid="last-round">
          Last round (window {round.lastRound.window}): <span data-testid="last-round-phases">{round.lastRound.phases.join(' → ')}</span>
          {round.lastRound.loss !== undefined ? `, loss ${round.lastRound.loss.toFixed(3)}` : ''}
          {round.lastRound.reason ? ` (${round.lastRound.reason})` : ''}
        </p>
      )}
      {series.y.length > 1 ? (
        <LineChart x={series.x} y={series.y} label="Training loss" xLabel="inner step" format={formatLoss} />
      ) : (
        <EmptyState title="No loss curve yet">The loss of every inner step is drawn here once training starts.</EmptyState>
      )}
    </Card>
  );
}
