import { useEffect, useState, type FormEvent } from 'react';
import { ContractError, type GuardSettings } from '../../../../contract';
import { Card } from '../../components/Card';
import { useClient } from '../../client-context';
import { useStore } from '../../store';
import { operationsSelectors } from '../../store/slices/operations';
import { FormMessage, type FormNote } from '../../components/FormMessage';

const errorText = (e: unknown) => (e instanceof ContractError && e.issues?.length ? e.issues.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ') : String(e));

/** GPU choice and per-GPU temperature and power targets. */
export function GuardSettingsCard() {
  const client = useClient();
  const guard = useStore(operationsSelectors.guard);
  const [settings, setSettings] = useState<GuardSettings | null>(null);
  const [message, setMessage] = useState<FormNote | null>(null);

  useEffect(() => {
    void client.request('guard.settings', {}).then(setSettings);
  }, [client]);

  if (!settings) return <Card title="Thermal and power guard"><p className="muted">Loading…</p></Card>;
  const gpuIndices = [...new Set([...(guard?.gpus.map((g) => g.index) ?? []), ...settings.limits.map((l) => l.index)])].sort((a, b) => a - b);
  const limitOf = (index: number) => settings.limits.find((l) => l.index === index) ?? { index, targetTempC: settings.defaultTargetTempC, targetPowerW: null };
  const setLimit = (index: number, patch: Partial<GuardSettings['limits'][number]>) =>
    setSettings({ ...settings, limits: [...settings.limits.filter((l) => l.index !== index), { ...limitOf(index), ...patch }].sort((a, b) => a.index - b.index) });
  const selected = (index: number) => settings.selectedGpus === null || settings.selectedGpus.includes(index);
  const toggle = (index: number) => {
    const current = settings.selectedGpus ?? gpuIndices;
    setSettings({ ...settings, selectedGpus: current.includes(index) ? current.filter((i) => i !== index) : [...current, index].sort((a, b) => a - b) });
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setSettings(await client.request('guard.configure', settings));
      setMessage({ tone: 'ok', text: 'Applied. GPU choice applies when the trainer next starts; targets apply now.' });
    } catch (e) {
      setMessage({ tone: 'error', text: errorText(e) });
    }
  };

  return (
    <Card title="Thermal and power guard" testId="guard-settings">
      <form className="form" onSubmit={(e) => void save(e)}>
        <label className="inline">
          <input type="checkbox" checked={settings.enabled} onChange={(e) => setSettings({ ...settings, enabled: e.target.checked })} /> Slow the trainer down to stay under the targets
        </label>
        <label>
          Default temperature target (°C)
          <input type="number" min={40} max={105} value={settings.defaultTargetTempC} onChange={(e) => setSettings({ ...settings, defaultTargetTempC: Number(e.target.value) })} />
        </label>
        {gpuIndices.length === 0 ? (
          <p className="muted">No GPU seen yet: per-GPU choices appear once telemetry has reported one (join the run, or open Hardware).</p>
        ) : (
          <fieldset>
            <legend>GPUs</legend>
            {gpuIndices.map((index) => (
              <div key={index} className="gpu-row">
                <label className="inline">
                  <input type="checkbox" checked={selected(index)} onChange={() => toggle(index)} /> Train on GPU {index}
                </label>
                <label>
                  Target °C
                  <input type="number" min={40} max={105} value={limitOf(index).targetTempC} onChange={(e) => setLimit(index, { targetTempC: Number(e.target.value) })} />
                </label>
                <label>
                  Power target W (empty: none)
                  <input type="number" min={10} max={2000} value={limitOf(index).targetPowerW ?? ''} onChange={(e) => setLimit(index, { targetPowerW: e.target.value === '' ? null : Number(e.target.value) })} />
                </label>
              </div>
            ))}
          </fieldset>
        )}
        <label className="inline">
          <input type="checkbox" checked={settings.applyPowerCap} onChange={(e) => setSettings({ ...settings, applyPowerCap: e.target.checked })} /> Also set a hard power cap with nvidia-smi (needs administrator rights)
        </label>
        <div>
          <button type="submit" className="primary">
            Apply guard settings
          </button>{' '}
          <FormMessage note={message} />
        </div>
      </form>
    </Card>
  );
}
