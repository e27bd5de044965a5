/** The outcome of one check or step as a coloured word: pass, warn, fail or skip. */
export type Outcome = 'pass' | 'warn' | 'fail' | 'skip';

const TONE: Record<Outcome, 'busy' | 'warn' | 'bad' | 'idle'> = { pass: 'busy', warn: 'warn', fail: 'bad', skip: 'idle' };

export function StatusPill({ status }: { status: Outcome }) {
  return <span className={`phase phase-${TONE[status]}`}>{status}</span>;
}
