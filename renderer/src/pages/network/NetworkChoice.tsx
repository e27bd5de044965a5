import { useId, useState, type FormEvent } from 'react';
import { ContractError, describeIssues, type RunNaming } from '../../../../contract';
import { useClient } from '../../client-context';
import { useSettingsOnce } from '../../use-settings-once';
import { useStore } from '../../store';
import { coreSelectors } from '../../store/slices/core';
import { FormMessage, type FormNote } from '../../components/FormMessage';

const CHOICES = [
  { id: 'devnet', label: 'Devnet', detail: 'A practice network inside this app: trains on the CPU, pays practice tokens. No wallet needed.' },
  { id: 'test', label: 'Testnet', detail: 'Bittensor testnet: test τ, no value. Needs a registered hotkey.' },
  { id: 'finney', label: 'Finney (main network)', detail: 'Real TAO. Needs a registered hotkey and a capable GPU.' },
  { id: 'custom', label: 'Custom node', detail: 'The ws:// or wss:// address of a subtensor node.' },
] as const;
type Choice = (typeof CHOICES)[number]['id'];

const choiceOf = (target: string): Choice => (target === 'devnet' || target === 'test' || target === 'finney' ? target : 'custom');

/** Which network to train on; a refused value names the field and why, and nothing is saved. */
export function NetworkChoice({ onSaved }: { onSaved?: (target: string) => void }) {
  const current = useStore(coreSelectors.networkTarget);
  if (current === null) return <p className="muted">Loading the current network…</p>;
  return <NetworkForm initial={current} {...(onSaved ? { onSaved } : {})} />;
}

function NetworkForm({ initial, onSaved }: { initial: string; onSaved?: (target: string) => void }) {
  const client = useClient();
  const [choice, setChoice] = useState<Choice>(() => choiceOf(initial));
  const [url, setUrl] = useState(() => (choiceOf(initial) === 'custom' ? initial : ''));
  const [message, setMessage] = useState<FormNote | null>(null);
  const [run, setRun] = useState<RunFields>({ by: 'subnet', netuid: '', manifest: '', owner: '' });
  const name = useId();

  // The run named now: the fields start from it, and stay disabled until it arrives (useSettingsOnce).
  const loaded = useSettingsOnce((s) => setRun(runFields(s.run)));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const network = choice === 'custom' ? url.trim() : choice;
    const named = choice === 'devnet' ? null : runNaming(run);
    if (typeof named === 'string') {
      setMessage({ tone: 'error', text: named });
      return;
    }
    try {
      const saved = await client.request('settings.update', { network, ...(named ? { run: named } : {}) });
      setMessage({ tone: 'ok', text: `Saved: ${saved.network}.` });
      onSaved?.(saved.network);
    } catch (error) {
      const text = error instanceof ContractError && error.issues?.length ? describeIssues(error.issues) : error instanceof Error ? error.message : String(error);
      setMessage({ tone: 'error', text });
    }
  };

  return (
    <form className="form network-choice" onSubmit={(e) => void save(e)} data-testid="network-choice">
      <fieldset>
        <legend>Network</legend>
        {CHOICES.map((c) => (
          <label key={c.id} className="choice">
            <input type="radio" name={name} value={c.id} checked={choice === c.id} onChange={() => setChoice(c.id)} />
            <span>
              <strong>{c.label}</strong>
              <span className="muted choice-detail">{c.detail}</span>
            </span>
          </label>
        ))}
        {choice === 'custom' && (
          <label>
            Node address
            <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="wss://example.org:443" aria-describedby={`${name}-url-help`} />
            <span id={`${name}-url-help`} className="muted">
              Only ws:// and wss:// addresses are accepted.
            </span>
          </label>
        )}
      </fieldset>
      {choice !== 'devnet' && <RunFieldset value={run} onChange={setRun} loaded={loaded} />}
      <div>
        <button type="submit" className="primary">
          Use this network
        </button>{' '}
        <FormMessage note={message} />
      </div>
    </form>
  );
}

/** The run fields as typed: by its subnet (found on chain) or by its manifest, and its owner when named. */
interface RunFields {
  by: 'subnet' | 'manifest';
  netuid: string;
  manifest: string;
  owner: string;
}

function runFields(run: RunNaming): RunFields {
  return { by: run.manifest ? 'manifest' : 'subnet', netuid: run.netuid === null ? '' : String(run.netuid), manifest: run.manifest ?? '', owner: run.owner ?? '' };
}

/** What the fields name (null: nothing typed, the run is named later), or why they cannot (the sentence shown). */
function runNaming(fields: RunFields): RunNaming | null | string {
  const owner = fields.owner.trim() || null;
  if (!fields.netuid.trim() && !fields.manifest.trim() && !owner) return null;
  if (fields.by === 'manifest') {
    const manifest = fields.manifest.trim();
    return manifest ? { manifest, netuid: null, owner } : 'Give the run\u2019s manifest: its https:// or s3:// address, or the path of its file.';
  }
  const netuid = Number(fields.netuid.trim());
  if (fields.netuid.trim() === '' || !Number.isInteger(netuid) || netuid < 0 || netuid > 65535) return 'Give the run\u2019s subnet: a whole number from 0 to 65535.';
  return { manifest: null, netuid, owner };
}

/** Which run to join on a network other than the devnet: its subnet, or its manifest, and optionally its owner. */
function RunFieldset({ value, onChange, loaded }: { value: RunFields; onChange: (next: RunFields) => void; loaded: boolean }) {
  const name = useId();
  const set = (patch: Partial<RunFields>) => onChange({ ...value, ...patch });
  return (
    <fieldset disabled={!loaded} aria-busy={!loaded}>
      <legend>The run on this network</legend>
      <label className="choice">
        <input type="radio" name={name} checked={value.by === 'subnet'} onChange={() => set({ by: 'subnet' })} />
        <span>
          <strong>By its subnet</strong>
          <span className="muted choice-detail">Tandem finds the run its owner published on chain.</span>
        </span>
      </label>
      {value.by === 'subnet' && (
        <label>
          Subnet
          <input inputMode="numeric" value={value.netuid} onChange={(e) => set({ netuid: e.target.value })} placeholder="3" />
        </label>
      )}
      <label className="choice">
        <input type="radio" name={name} checked={value.by === 'manifest'} onChange={() => set({ by: 'manifest' })} />
        <span>
          <strong>By its manifest</strong>
          <span className="muted choice-detail">The signed manifest the run&apos;s owner gave you: an https:// or s3:// address, or a file on this machine.</span>
        </span>
      </label>
      {value.by === 'manifest' && (
        <label>
          Manifest
          <input value={value.manifest} onChange={(e) => set({ manifest: e.target.value })} placeholder="https://example.org/run.signed.json" />
        </label>
      )}
      <label>
        Run owner&apos;s hotkey (optional)
        <input value={value.owner} onChange={(e) => set({ owner: e.target.value })} placeholder="5F… (default: the subnet's owner)" aria-describedby={`${name}-owner-help`} />
        <span id={`${name}-owner-help`} className="muted">
          The manifest must carry this hotkey&apos;s signature. Leave it empty when the subnet&apos;s owner runs it.
        </span>
      </label>
    </fieldset>
  );
}
