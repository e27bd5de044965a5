import { useEffect, useState, type FormEvent } from 'react';
import { ContractError, type ScheduleSettings } from '../../../../contract';
import { Card } from '../../components/Card';
import { useClient } from '../../client-context';
import { FormMessage, type FormNote } from '../../components/FormMessage';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const errorText = (e: unknown) => (e instanceof ContractError && e.issues?.length ? e.issues.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ') : String(e));

/** Weekly time windows, battery, programs that need the machine, and "finish this round". */
export function ScheduleSettingsCard() {
  const client = useClient();
  const [settings, setSettings] = useState<ScheduleSettings | null>(null);
  const [programs, setPrograms] = useState('');
  const [message, setMessage] = useState<FormNote | null>(null);

  useEffect(() => {
    void client.request('schedule.settings', {}).then((s) => {
      setSettings(s);
      setPrograms(s.pauseWhilePrograms.join(', '));
    });
  }, [client]);

  if (!settings) return <Card title="Schedule"><p className="muted">Loading…</p></Card>;
  const setWindow = (i: number, patch: Partial<ScheduleSettings['windows'][number]>) => setSettings({ ...settings, windows: settings.windows.map((w, j) => (j === i ? { ...w, ...patch } : w)) });

  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const pauseWhilePrograms = programs.split(',').map((p) => p.trim()).filter(Boolean);
      setSettings(await client.request('schedule.configure', { ...settings, pauseWhilePrograms }));
      setMessage({ tone: 'ok', text: 'Schedule applied.' });
    } catch (e) {
      setMessage({ tone: 'error', text: errorText(e) });
    }
  };

  return (
    <Card title="Schedule" testId="schedule-settings">
      <form className="form" onSubmit={(e) => void save(e)}>
        <label className="inline">
          <input type="checkbox" checked={settings.enabled} onChange={(e) => setSettings({ ...settings, enabled: e.target.checked })} /> Train only inside these hours
        </label>
        {settings.windows.map((w, i) => (
          <div key={i} className="schedule-row">
            <select aria-label="Day" value={w.day} onChange={(e) => setWindow(i, { day: Number(e.target.value) })}>
              {DAYS.map((d, n) => (
                <option key={d} value={n}>
                  {d}
                </option>
              ))}
            </select>
            <input aria-label="From" type="time" value={w.start} onChange={(e) => setWindow(i, { start: e.target.value })} />
            <input aria-label="Until" value={w.end} pattern="[0-2]\d:[0-5]\d" onChange={(e) => setWindow(i, { end: e.target.value })} />
            <button type="button" onClick={() => setSettings({ ...settings, windows: settings.windows.filter((_, j) => j !== i) })} aria-label={`Remove ${DAYS[w.day]} ${w.start}–${w.end}`}>
              Remove
            </button>
          </div>
        ))}
        <div>
          <button type="button" onClick={() => setSettings({ ...settings, windows: [...settings.windows, { day: new Date().getDay(), start: '22:00', end: '24:00' }] })}>
            Add time window
          </button>
        </div>
        <label className="inline">
          <input type="checkbox" checked={settings.pauseOnBattery} onChange={(e) => setSettings({ ...settings, pauseOnBattery: e.target.checked })} /> Pause on battery
        </label>
        <label>
          Pause while these programs run (comma-separated)
          <input value={programs} onChange={(e) => setPrograms(e.target.value)} placeholder="steam, blender" />
        </label>
        <label className="inline">
          <input type="checkbox" checked={settings.finishRound} onChange={(e) => setSettings({ ...settings, finishRound: e.target.checked })} /> When the schedule closes, finish this round, then pause
        </label>
        <div>
          <button type="submit" className="primary">
            Apply schedule
          </button>{' '}
          <FormMessage note={message} />
        </div>
      </form>
    </Card>
  );
}
