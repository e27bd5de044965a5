import { useStore } from '../../store';
import { chainSelectors, formatTao } from '../../store/slices/chain';
import { roundSelectors } from '../../store/slices/round';

/** The one line a contributor looks for: is this machine earning, and if not, why not. */
export function EarningStatus() {
  const round = useStore(roundSelectors.round);
  const me = useStore(chainSelectors.me);
  let tone: 'ok' | 'warn' | 'bad' | 'idle';
  let headline: string;
  let detail: string | null;
  if (!round) {
    tone = 'idle';
    headline = 'Connecting…';
    detail = 'Waiting for the Tandem core.';
  } else if (round.phase === 'error') {
    tone = 'bad';
    headline = 'Not earning: the trainer stopped';
    detail = round.blocker ? null : 'See the Logs page for the error.';
  } else if (!round.joined) {
    tone = 'idle';
    headline = 'Not earning: not in the run';
    detail = round.blocker ? null : 'Press Join to start training.';
  } else if (me?.rank && (me.incentive ?? 0) > 0) {
    tone = 'ok';
    headline = `Earning: rank ${me.rank.rank} of ${me.rank.of}`;
    detail = `${formatTao(me.emissionPerTempo ?? '0')} per epoch, ${formatTao(me.cumulativeRewards)} so far.`;
  } else if (round.blocker) {
    tone = 'warn';
    headline = 'Joined, not earning yet';
    detail = null;
  } else {
    tone = 'warn';
    headline = 'Training, no rewards yet';
    detail = `Window ${round.window ?? '—'}: rewards follow once the validator has scored this machine's rounds (a few windows).`;
  }
  return (
    <section className={`earning earning-${tone}`} aria-label="Earning status" data-testid="earning-status">
      <p className="earning-headline" data-testid="earning-headline">
        {headline}
      </p>
      {/* The round's blocker is said once, on the Live round card beside the Join button; here only the headline. */}
      <p className="muted">{detail ?? 'Why: see the Live round card below.'}</p>
    </section>
  );
}
