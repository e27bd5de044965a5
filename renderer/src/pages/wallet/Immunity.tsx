import type { ChainStatus } from '../../../../contract/domains/chain';
import { formatDuration } from '../../format';

/** Blocks as the time they take on this chain, when its block time is known. */
export function blocksAsTime(blocks: number, blockSeconds: number | null): string {
  return blockSeconds === null ? `${blocks} blocks` : `${blocks} blocks, about ${formatDuration(Math.round(blocks * blockSeconds))}`;
}

/** What registering buys and what deregistration means, for the confirmation dialog. */
export function immunityTerms(status: ChainStatus | null): string {
  const period = status?.immunityPeriodBlocks ?? null;
  const immune = period === null ? 'for the subnet\u2019s immunity period' : `for ${blocksAsTime(period, status?.blockSeconds ?? null)}`;
  return `Nobody can take this hotkey\u2019s place ${immune}. After that, when the subnet is full, each new registration replaces the neuron with the lowest incentive: its uid goes, and the burn is not refunded.`;
}

/** This hotkey's protection from replacement: a countdown while immune, and a warning when it would be the next replaced. */
export function ImmunityFacts({ status }: { status: ChainStatus }) {
  const immunity = status.me?.immunity ?? null;
  if (!immunity) return null;
  return (
    <>
      <dt>Immunity</dt>
      <dd data-testid="immunity">
        {immunity.blocksLeft > 0 ? `${blocksAsTime(immunity.blocksLeft, status.blockSeconds)} left (ends at block ${immunity.endsAtBlock})` : `ended at block ${immunity.endsAtBlock}: replaceable by incentive`}
        {immunity.atRisk && (
          <span role="alert" className="error-text" data-testid="immunity-risk">
            {' '}
            {immunity.blocksLeft > 0
              ? 'At risk: with the lowest incentive on a full subnet, this hotkey would be the first replaced once its immunity ends. Train well before then.'
              : 'At risk: with the lowest incentive on a full subnet, this hotkey is the next replaced when someone registers.'}
          </span>
        )}
      </dd>
    </>
  );
}
