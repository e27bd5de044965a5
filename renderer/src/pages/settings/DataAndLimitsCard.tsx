import { useState, type FormEvent } from 'react';
import { ContractError, type FieldIssue, type ResourceLimits } from '../../../../contract';
import { Card } from '../../components/Card';
import { useClient } from '../../client-context';
import { useStore } from '../../store';
import { coreSelectors } from '../../store/slices/core';
import { FormMessage, type FormNote } from '../../components/FormMessage';
import { useSettingsOnce } from '../../use-settings-once';

type LimitKey = keyof ResourceLimits;
const LIMITS: Array<{ key: LimitKey; label: string; unit: string; step: string }> = [
  { key: 'uploadMbps', label: 'Upload cap', unit: 'Mbit/s', step: 'any' },
  { key: 'downloadMbps', label: 'Download cap', unit: 'Mbit/s', step: 'any' },
  { key: 'diskGiB', label: 'Disk space cap', unit: 'GiB', step: 'any' },
  { key: 'cpuThreads', label: 'CPU threads', unit: 'threads', step: '1' },
];

const toField = (v: number | null) => (v === null ? '' : String(v));
const fromField = (v: string) => (v.trim() === '' ? null : Number(v));

/** Where the data lives and what the app may use; a refused value is named next to its field. */
export function DataAndLimitsCard() {
  const client = useClient();
  const info = useStore(coreSelectors.appInfo);
  const [dataDir, setDataDir] = useState('');
  const [limits, setLimits] = useState<Record<LimitKey, string>>({ uploadMbps: '', downloadMbps: '', diskGiB: '', cpuThreads: '' });
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [message, setMessage] = useState<FormNote | null>(null);
  // The fields stay read-only until the saved values arrive (useSettingsOnce).
  const loaded = useSettingsOnce((s) => {
    setDataDir(s.dataDir ?? '');
    setLimits({ uploadMbps: toField(s.limits.uploadMbps), downloadMbps: toField(s.limits.downloadMbps), diskGiB: toField(s.limits.diskGiB), cpuThreads: toField(s.limits.cpuThreads) });
  });

  const issueFor = (path: string) => issues.find((i) => i.path === path)?.message;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setIssues([]);
    try {
      await client.request('settings.update', {
        dataDir: dataDir.trim() === '' ? null : dataDir.trim(),
        limits: { uploadMbps: fromField(limits.uploadMbps), downloadMbps: fromField(limits.downloadMbps), diskGiB: fromField(limits.diskGiB), cpuThreads: fromField(limits.cpuThreads) },
      });
      setMessage({ tone: 'ok', text: 'Saved. A new data folder is used from the next start.' });
    } catch (error) {
      const found = error instanceof ContractError ? (error.issues ?? []) : [];
      setIssues(found);
      setMessage({ tone: 'error', text: found.length ? found.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ') : String(error) });
    }
  };

  return (
    <Card title="Data and limits" testId="data-limits-card">
      <form className="form" onSubmit={(e) => void save(e)} noValidate aria-busy={!loaded}>
        <label>
          Data folder
          <input
            value={dataDir}
            readOnly={!loaded}
            onChange={(e) => setDataDir(e.target.value)}
            placeholder={info?.dataDir ?? ''}
            aria-invalid={issueFor('dataDir') ? true : undefined}
            aria-describedby="data-dir-help"
          />
          <span id="data-dir-help" className={issueFor('dataDir') ? 'error-text' : 'muted'}>
            {issueFor('dataDir') ?? 'Checkpoints, ledgers and the devnet. Empty keeps the default shown; an absolute path, made if missing.'}
          </span>
        </label>
        <fieldset className="limits">
          <legend>Limits (empty means no cap)</legend>
          {LIMITS.map(({ key, label, unit, step }) => {
            const issue = issueFor(`limits.${key}`);
            return (
              <label key={key}>
                {label} ({unit})
                <input
                  type="number"
                  min={0}
                  step={step}
                  inputMode="decimal"
                  value={limits[key]}
                  readOnly={!loaded}
                  onChange={(e) => setLimits((l) => ({ ...l, [key]: e.target.value }))}
                  aria-invalid={issue ? true : undefined}
                  aria-describedby={issue ? `limit-${key}-error` : undefined}
                />
                {issue && (
                  <span id={`limit-${key}-error`} className="error-text">
                    {issue}
                  </span>
                )}
              </label>
            );
          })}
        </fieldset>
        <p className="muted">
          Upload and download caps pace this machine&apos;s transfers; CPU threads is what the trainer may use; the disk cap is checked when you join. They apply from the next Join. GPU choice, temperature limits and the schedule have their own cards.
        </p>
        <div>
          <button type="submit" className="primary" disabled={!loaded}>
            Update data and limits
          </button>{' '}
          <FormMessage note={message} />
        </div>
      </form>
    </Card>
  );
}
