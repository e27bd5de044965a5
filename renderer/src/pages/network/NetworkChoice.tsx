import { useId, useState, type FormEvent } from 'react';
import { ContractError, describeIssues } from '../../../../contract';
import { useClient } from '../../client-context';
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
  const name = useId();

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const network = choice === 'custom' ? url.trim() : choice;
    try {
      const saved = await client.request('settings.update', { network });
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
      <div>
        <button type="submit" className="primary">
          Use this network
        </button>{' '}
        <FormMessage note={message} />
      </div>
    </form>
  );
}
