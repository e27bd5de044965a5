import { useState, type FormEvent } from 'react';
import { ContractError, LogLevel, type Settings } from '../../../contract';
import { Card } from '../components/Card';
import { DataAndLimitsCard } from './settings/DataAndLimitsCard';
import { useClient } from '../client-context';
import { useStore } from '../store';
import { coreSelectors } from '../store/slices/core';
import { GuardSettingsCard } from './settings/GuardSettingsCard';
import { ScheduleSettingsCard } from './settings/ScheduleSettingsCard';
import { TrainOnCard } from './settings/TrainOnCard';
import { StorageCard } from './settings/StorageCard';
import { FormMessage, type FormNote } from '../components/FormMessage';
import { useSettingsOnce } from '../use-settings-once';

/** Editable settings; a refused value shows the field the core named. */
export function SettingsPage() {
  const client = useClient();
  const info = useStore(coreSelectors.appInfo);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [network, setNetwork] = useState('');
  const [logLevel, setLogLevel] = useState<LogLevel>('info');
  const [message, setMessage] = useState<FormNote | null>(null);

  useSettingsOnce((s) => {
    setSettings(s);
    setNetwork(s.network);
    setLogLevel(s.logLevel);
  });

  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const saved = await client.request('settings.update', { network, logLevel });
      setSettings(saved);
      setMessage({ tone: 'ok', text: 'Saved.' });
    } catch (error) {
      const text = error instanceof ContractError && error.issues?.length ? error.issues.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ') : String(error);
      setMessage({ tone: 'error', text });
    }
  };

  return (
    <div className="grid">
      <Card title="Settings">
        {settings === null ? (
          <p className="muted">Loading…</p>
        ) : (
          <form className="form" onSubmit={(e) => void save(e)}>
            <label>
              Network
              <input value={network} onChange={(e) => setNetwork(e.target.value)} aria-describedby="network-help" />
            </label>
            <p id="network-help" className="muted">
              devnet (a local practice network), test, finney, or the ws:// URL of a subtensor node.
            </p>
            <label>
              Log level
              <select value={logLevel} onChange={(e) => setLogLevel(LogLevel.parse(e.target.value))}>
                {LogLevel.options.map((level) => (
                  <option key={level}>{level}</option>
                ))}
              </select>
            </label>
            <div>
              <button type="submit" className="primary">
                Save
              </button>{' '}
              <FormMessage note={message} />
            </div>
          </form>
        )}
      </Card>
      <TrainOnCard />
      <GuardSettingsCard />
      <ScheduleSettingsCard />
      <Card title="Files">
        <dl className="facts">
          <dt>Config</dt>
          <dd>
            <code>{info?.configFile ?? '…'}</code>
          </dd>
          <dt>Data</dt>
          <dd>
            <code>{info?.dataDir ?? '…'}</code>
          </dd>
          <dt>Logs</dt>
          <dd>
            <code>{info?.logDir ?? '…'}</code>
          </dd>
        </dl>
      </Card>
      <DataAndLimitsCard />
      <StorageCard />
    </div>
  );
}
