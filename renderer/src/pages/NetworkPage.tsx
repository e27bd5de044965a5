import { useEffect, useMemo } from 'react';
import type { PeerRow } from '../../../contract/domains/network';
import { Card, EmptyState } from '../components/Card';
import { DataTable } from '../components/DataTable';
import { LineChart } from '../components/charts/LineChart';
import { useClient } from '../client-context';
import { formatDuration } from '../format';
import { useStore } from '../store';
import { chainSelectors } from '../store/slices/chain';
import { formatBytes, networkSelectors } from '../store/slices/network';
import { useNow } from '../use-now';
import { NetworkChoice } from './network/NetworkChoice';

const REFRESH_MS = 5000;
/** A chart's tick: as many decimals as small values need, so that neighbouring ticks never read the same. */
const formatAmount = (v: number) => (v === 0 ? '0' : v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));

function ChainLine() {
  const health = useStore(chainSelectors.health);
  const block = useStore(chainSelectors.block);
  if (!health) return <p className="muted">Chain: waiting for the core…</p>;
  const text =
    health.state === 'connected'
      ? `connected to ${health.endpoint}, block ${block ?? health.bestBlock ?? '—'}`
      : health.state === 'idle'
        ? health.reason
        : health.state === 'failed'
          ? `cannot connect: ${health.reason}`
          : health.state === 'reconnecting'
            ? `reconnecting to ${health.endpoint} (attempt ${health.attempt}): ${health.lastError}`
            : 'connecting…';
  return (
    <p data-testid="chain-health">
      <span className="muted">Chain:</span> {text}
    </p>
  );
}

function ManifestCard() {
  const manifest = useStore(networkSelectors.manifest);
  return (
    <Card title="Run manifest" testId="manifest-card">
      {manifest ? (
        <dl className="facts">
          <dt>Run</dt>
          <dd data-testid="manifest-name">
            {manifest.name} (manifest v{manifest.version}, protocol {manifest.protocolVersion})
          </dd>
          <dt>Owner</dt>
          <dd data-testid="manifest-owner">
            {manifest.owner ? (
              <>
                <code>{manifest.owner}</code> <span className="muted">(signature checked)</span>
              </>
            ) : manifest.source === 'built in' ? (
              <span className="muted">the devnet&apos;s own run, signed by its owner key when the devnet starts</span>
            ) : (
              <span className="muted">unsigned: a file on this machine</span>
            )}
          </dd>
          <dt>From</dt>
          <dd>
            <code>{manifest.source}</code>{' '}
            <span className="muted" title={`sha256 of the canonical manifest: ${manifest.digest}`}>
              sha256 {manifest.digest.slice(0, 12)}…
            </span>
          </dd>
          <dt>Model</dt>
          <dd>
            {manifest.model.layers} layers × {manifest.model.hiddenSize} wide, {manifest.model.heads} heads, vocabulary {manifest.model.vocabSize}, context{' '}
            {manifest.model.sequenceLength}
          </dd>
          <dt>Data</dt>
          <dd>{manifest.data}</dd>
          <dt>Checkpoints</dt>
          <dd data-testid="manifest-checkpoints">{manifest.checkpoints}</dd>
          <dt>SparseLoCo</dt>
          <dd>
            {manifest.sparseloco.innerSteps} inner steps, top-{manifest.sparseloco.topK} of {manifest.sparseloco.chunkSize}, outer lr {manifest.sparseloco.outerLr}
          </dd>
          <dt>Window</dt>
          <dd>
            {manifest.windows.blocksPerWindow} blocks of {manifest.windows.blockSeconds} s; upload within {manifest.windows.uploadDeadlineSeconds} s; gather from{' '}
            {manifest.windows.gatherPeers} peers
          </dd>
          <dt>Chain</dt>
          <dd>
            {manifest.chain.network}, subnet {manifest.chain.netuid}
          </dd>
          <dt>Storage</dt>
          <dd>
            <code>{manifest.storage}</code>
          </dd>
        </dl>
      ) : (
        <EmptyState title="No run named for this network">
          Name the run you join with its manifest, a file or the URL its owner published: tandem start --network &lt;url&gt; --manifest &lt;file or URL&gt; --run-owner
          &lt;owner&apos;s hotkey&gt;.
        </EmptyState>
      )}
    </Card>
  );
}

function lastSeenText(peer: PeerRow, now: number): string {
  if (peer.self) return 'this machine';
  if (peer.role === 'validator') return '—';
  if (peer.lastSeen === null) return peer.lastOutcome ? `not used (${peer.lastOutcome})` : 'not yet';
  return `${formatDuration(Math.max(0, Math.round((now - peer.lastSeen) / 1000)))} ago (window ${peer.lastWindow})`;
}

/** One empty list for every render: a new [] each time would make the store's selector loop. */
const NO_NOTICES: readonly string[] = [];

function PeersCard() {
  const peers = useStore(networkSelectors.peers);
  const note = useStore((s) => s.networkOverview?.note ?? null);
  const notices = useStore((s) => s.networkOverview?.notices ?? NO_NOTICES);
  const now = useNow(2000);
  return (
    <Card title="Peers" testId="peers-card">
      {notices.map((notice) => (
        <p key={notice} role="alert" className="error-text">
          {notice}
        </p>
      ))}
      {peers && peers.length > 0 ? (
        <div className="table-scroll" role="region" aria-label="Peers table" tabIndex={0}>
          <DataTable columns={['UID', 'Role', 'Rating', 'Incentive', 'Last seen', 'Received', 'Problem']} label="Peers">
            {peers.map((p) => (
              <tr key={p.uid} className={p.self ? 'row-self' : undefined}>
                <th scope="row">
                  {p.uid}
                  {p.self ? ' (you)' : ''}
                </th>
                <td>{p.role}</td>
                <td>{p.rating === null ? '—' : p.rating.toFixed(2)}</td>
                <td>{(p.incentive * 100).toFixed(1)} %</td>
                <td>{lastSeenText(p, now)}</td>
                <td>{p.self || p.role === 'validator' ? '—' : formatBytes(p.bytes)}</td>
                <td className={p.problem ? 'error-text' : undefined}>{p.problem ?? '—'}</td>
              </tr>
            ))}
          </DataTable>
        </div>
      ) : (
        <EmptyState title="No peers yet">{note ?? 'Peers appear once the app has joined a run.'}</EmptyState>
      )}
    </Card>
  );
}

function BandwidthCard() {
  const bandwidth = useStore(networkSelectors.bandwidth);
  const series = useMemo(() => {
    const points = bandwidth ?? [];
    const x = points.map((p) => p.window);
    // The devnet's rounds move KiB, a real model's MiB or GiB: the charts count in the unit the largest round needs.
    const largest = Math.max(0, ...points.map((p) => Math.max(p.bytesDown, p.bytesUp)));
    const [unit, size] = largest >= 2 ** 30 ? ['GiB', 2 ** 30] : largest >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
    return { x, unit, down: points.map((p) => p.bytesDown / size), up: points.map((p) => p.bytesUp / size) };
  }, [bandwidth]);
  const totals = useMemo(() => {
    const points = bandwidth ?? [];
    const down = points.reduce((sum, p) => sum + p.bytesDown, 0);
    const up = points.reduce((sum, p) => sum + p.bytesUp, 0);
    const gatherSeconds = points.reduce((sum, p) => sum + (p.gatherSeconds ?? 0), 0);
    return { down, up, rate: gatherSeconds > 0 ? down / gatherSeconds : null };
  }, [bandwidth]);
  return (
    <Card title="Bandwidth" testId="bandwidth-card">
      {series.x.length > 0 ? (
        <>
          <dl className="facts">
            <dt>Received</dt>
            <dd>
              {formatBytes(totals.down)} over {series.x.length} rounds{totals.rate !== null ? `, ${formatBytes(totals.rate)}/s while gathering` : ''}
            </dd>
            <dt>Sent</dt>
            <dd>{formatBytes(totals.up)}</dd>
          </dl>
          {series.x.length > 1 && (
            <>
              <LineChart x={series.x} y={series.down} label={`Received per round (${series.unit})`} xLabel="window" format={formatAmount} kind="bars" height={130} />
              <LineChart x={series.x} y={series.up} label={`Sent per round (${series.unit})`} xLabel="window" format={formatAmount} kind="bars" colorVar="--ok" height={130} />
            </>
          )}
        </>
      ) : (
        <EmptyState title="No rounds yet">Each round&apos;s upload and download appear here once this machine has completed one.</EmptyState>
      )}
    </Card>
  );
}

/** The run this machine trains in: which network, the manifest, the peers and the traffic. */
export function NetworkPage() {
  const client = useClient();
  const receive = useStore((s) => s.receiveNetworkOverview);
  const fail = useStore((s) => s.failNetworkOverview);
  const error = useStore(networkSelectors.error);

  useEffect(() => {
    const load = () =>
      void client
        .request('network.overview', {})
        .then(receive)
        .catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [client, receive, fail]);

  return (
    <div className="grid network-page">
      <Card title="Network" testId="network-card">
        <ChainLine />
        <NetworkChoice />
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
      </Card>
      <ManifestCard />
      <PeersCard />
      <BandwidthCard />
    </div>
  );
}
