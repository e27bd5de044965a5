import { useEffect, useId, useState } from 'react';
import { ContractError, type TrainOn } from '../../../../contract';
import { Card } from '../../components/Card';
import { useClient } from '../../client-context';
import { useStore } from '../../store';
import { hardwareSelectors } from '../../store/slices/hardware';
import { FormMessage, type FormNote } from '../../components/FormMessage';
import { nvidiaGpuAvailability } from './nvidia-gpu';
import { useSettingsOnce } from '../../use-settings-once';

/**
 * Settings → Train on: the CPU (default) or the GPUs (CUDA, experimental).
 * A radio group saves as soon as it changes; the trainer picks it up at the
 * next Join, like the CPU threads limit.
 */
export function TrainOnCard() {
  const client = useClient();
  const report = useStore(hardwareSelectors.report);
  const frame = useStore(hardwareSelectors.telemetry);
  const telemetryStatus = useStore(hardwareSelectors.telemetryStatus);
  const receiveHardwareReport = useStore((s) => s.receiveHardwareReport);
  const [trainOn, setTrainOn] = useState<TrainOn | null>(null);
  const [message, setMessage] = useState<FormNote | null>(null);
  const name = useId();

  useSettingsOnce((s) => setTrainOn(s.trainOn));
  useEffect(() => {
    // A readiness report from the Hardware page or the set-up guide says whether there is an NVIDIA GPU.
    void client
      .request('hardware.lastReport', {})
      .then((last) => last && receiveHardwareReport(last))
      .catch(() => undefined);
  }, [client, receiveHardwareReport]);

  const gpu = nvidiaGpuAvailability(report?.gpu ?? null, frame, telemetryStatus);
  const gpuDisabled = gpu.kind === 'absent' && trainOn !== 'gpu';

  const choose = async (next: TrainOn) => {
    const before = trainOn;
    setTrainOn(next);
    try {
      const saved = await client.request('settings.update', { trainOn: next });
      setTrainOn(saved.trainOn);
      setMessage({ tone: 'ok', text: `Saved: trains on the ${saved.trainOn === 'gpu' ? 'GPU' : 'CPU'} from the next Join.` });
    } catch (error) {
      setTrainOn(before);
      setMessage({ tone: 'error', text: error instanceof ContractError && error.issues?.length ? error.issues.map((i) => `${i.path || 'value'}: ${i.message}`).join('; ') : String(error) });
    }
  };

  const gpuNote =
    gpu.kind === 'absent'
      ? `Not available: ${gpu.reason}.`
      : gpu.kind === 'present'
        ? `${gpu.count} NVIDIA GPU${gpu.count === 1 ? '' : 's'} found; two or more chosen in the guard card are trained on together.`
        : 'No hardware check has run yet: run one on the Hardware page to confirm an NVIDIA GPU.';

  return (
    <Card title="Training device" testId="train-on-card">
      {trainOn === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="form network-choice">
          <fieldset aria-describedby={`${name}-help`}>
            <legend>Train on</legend>
            <label className="choice">
              <input type="radio" name={name} value="cpu" checked={trainOn === 'cpu'} onChange={() => void choose('cpu')} />
              <span>
                <strong>CPU</strong>
                <span className="muted choice-detail">Works on every machine; the default.</span>
              </span>
            </label>
            <label className="choice">
              <input type="radio" name={name} value="gpu" checked={trainOn === 'gpu'} disabled={gpuDisabled} aria-describedby={`${name}-gpu-note`} onChange={() => void choose('gpu')} />
              <span>
                <strong>GPU (CUDA, experimental)</strong>
                <span id={`${name}-gpu-note`} className="muted choice-detail" data-testid="train-on-gpu-note">
                  {gpuNote}
                </span>
              </span>
            </label>
          </fieldset>
          <p id={`${name}-help`} className="muted">
            GPU training is experimental and needs an NVIDIA GPU; the choice is used from the next Join.
          </p>
          <FormMessage note={message} />
        </div>
      )}
    </Card>
  );
}
