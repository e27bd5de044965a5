import { formatClock } from '../format';
import { useStore } from '../store';
import { operationsSelectors } from '../store/slices/operations';

/** The schedule's verdict now, and whether the round in progress fits before it closes. */
export function ScheduleStatus() {
  const schedule = useStore(operationsSelectors.schedule);
  if (!schedule?.enabled) return null;
  return (
    <div className="schedule-status" data-testid="schedule-status" role="status">
      <p>
        <span className={`phase ${schedule.open ? 'phase-busy' : 'phase-warn'}`}>{schedule.open ? 'Schedule open' : 'Schedule closed'}</span>{' '}
        <span className="muted">
          {schedule.reason ?? ''}
          {schedule.nextChangeAt !== null && ` ${schedule.open ? 'Closes' : 'Opens'} at ${formatClock(schedule.nextChangeAt)}.`}
        </span>
      </p>
      {schedule.finishingRound && <p>Finishing this round, then pausing.</p>}
      {schedule.prediction && <p className={schedule.prediction.fits ? 'muted' : 'error-text'}>{schedule.prediction.detail}</p>}
    </div>
  );
}
