import { useEffect, useState } from 'react';
import type { RequirementsPreset } from '../../../contract/domains/hardware';
import { Card } from '../components/Card';
import { useStore } from '../store';
import { coreSelectors } from '../store/slices/core';
import { hardwareSelectors } from '../store/slices/hardware';
import { onboardingSelectors } from '../store/slices/onboarding';
import { roundSelectors } from '../store/slices/round';
import { ONBOARDING_STEPS, type OnboardingStep } from '../store/types';
import { JoinButton } from './dashboard/JoinButton';
import { ReadinessProgress } from './hardware/ReadinessProgress';
import { useHardwareChecks } from './hardware/use-hardware-checks';
import { NetworkChoice } from './network/NetworkChoice';
import { FitStep } from './onboarding/FitStep';
import { WalletPage } from './WalletPage';

const STEP_LABEL: Record<OnboardingStep, string> = {
  hardware: 'Check this machine',
  network: 'Network',
  fit: 'Will this machine earn?',
  wallet: 'Wallet',
  join: 'Start training',
};

function HardwareStep() {
  const network = useStore(coreSelectors.networkTarget);
  const report = useStore(hardwareSelectors.report);
  const run = useStore(hardwareSelectors.run);
  const error = useStore(hardwareSelectors.error);
  const startChecks = useHardwareChecks();
  const [preset, setPreset] = useState<RequirementsPreset>(network === 'devnet' || network === null ? 'devnet' : 'default');
  return (
    <>
      <p>Tandem checks the GPU, memory, disk and connection against what the run needs, and says how to fix what falls short.</p>
      <div className="toolbar">
        <label>
          Check for{' '}
          <select value={preset} onChange={(e) => setPreset(e.target.value as RequirementsPreset)} disabled={run !== null}>
            <option value="devnet">The devnet (no GPU needed)</option>
            <option value="default">A GPU run (1 GPU, 24 GiB)</option>
          </select>
        </label>
        <button type="button" className="primary" onClick={() => void startChecks(preset, true)} disabled={run !== null} aria-busy={run !== null}>
          {report ? 'Check again' : 'Run the checks'}
        </button>
      </div>
      <ReadinessProgress run={run} />
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {!run && report && (
        <p data-testid="onboarding-hardware-summary">
          Result: <strong>{report.summary.overall}</strong>{' '}
          <span className="muted">
            ({report.summary.pass} passed, {report.summary.warn} warnings, {report.summary.fail} failed). Each check and its remedy is on the Hardware page.
          </span>
        </p>
      )}
    </>
  );
}

function JoinStep({ onJoined }: { onJoined: () => void }) {
  const network = useStore(coreSelectors.networkTarget);
  const joined = useStore((s) => roundSelectors.round(s)?.joined ?? false);
  useEffect(() => {
    if (joined) onJoined();
  }, [joined, onJoined]);
  return (
    <>
      <p>
        Ready to train on <strong>{network ?? '…'}</strong>. Joining starts this machine&apos;s trainer; each round it trains, shares a compressed update and applies everyone
        else&apos;s. You can pause after any round from the Dashboard.
      </p>
      <JoinButton />
    </>
  );
}

/** The first-run guide: hardware check, network, fit test, wallet, join. Every step can be skipped; leaving keeps the place. */
export function OnboardingPage() {
  const step = useStore(onboardingSelectors.step);
  const setStep = useStore((s) => s.setOnboardingStep);
  const setStatus = useStore((s) => s.setOnboardingStatus);
  const navigate = useStore((s) => s.navigate);
  const index = ONBOARDING_STEPS.indexOf(step);

  useEffect(() => {
    setStatus('active');
    // Leaving the guide any other way than finishing it keeps the place for later.
    return () => {
      if (useStore.getState().onboarding.status === 'active') setStatus('paused');
    };
  }, [setStatus]);

  const finish = () => {
    setStatus('done');
    navigate('dashboard');
  };
  const next = () => {
    const following = ONBOARDING_STEPS[index + 1];
    if (following) setStep(following);
    else finish();
  };

  return (
    <div className="onboarding">
      <ol className="stepper" aria-label="Set-up steps">
        {ONBOARDING_STEPS.map((s, i) => (
          <li key={s}>
            <button type="button" className="stepper-step" aria-label={`Step ${i + 1}: ${STEP_LABEL[s]}`} aria-current={s === step ? 'step' : undefined} onClick={() => setStep(s)}>
              <span className="stepper-number" aria-hidden="true">
                {i + 1}
              </span>{' '}
              {STEP_LABEL[s]}
            </button>
          </li>
        ))}
      </ol>
      <Card title={`Step ${index + 1} of ${ONBOARDING_STEPS.length}: ${STEP_LABEL[step]}`} testId={`onboarding-${step}`}>
        {step === 'hardware' && <HardwareStep />}
        {step === 'wallet' && (
          <p>
            A wallet is needed on testnet and finney: its hotkey is registered on the subnet and receives the rewards. The devnet needs none (the app makes a practice key),
            so you can skip this step and come back from the Wallet page.
          </p>
        )}
        {step === 'network' && <NetworkChoice />}
        {step === 'fit' && <FitStep />}
        {step === 'join' && <JoinStep onJoined={finish} />}
        <div className="onboarding-actions">
          {index > 0 && (
            <button type="button" onClick={() => setStep(ONBOARDING_STEPS[index - 1] as OnboardingStep)}>
              Back
            </button>
          )}
          {step !== 'join' && (
            <button type="button" className="primary" onClick={next}>
              Next
            </button>
          )}
          <button type="button" className="link-button" onClick={finish}>
            Skip set-up
          </button>
        </div>
      </Card>
      {step === 'wallet' && <WalletPage />}
    </div>
  );
}
