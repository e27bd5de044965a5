import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** The set-up guide keeps its place across reloads (window storage), and a broken record starts it over. */
describe('onboarding slice', () => {
  let storage: Map<string, string>;
  beforeEach(() => {
    storage = new Map();
    vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) });
    vi.resetModules();
  });
  afterEach(() => vi.unstubAllGlobals());

  const freshStore = async () => (await import('../../../renderer/src/store/index')).createAppStore();

  it('opens the guide on the first run and resumes at the step left', async () => {
    const first = await freshStore();
    expect(first.getState().page).toBe('welcome');
    expect(first.getState().onboarding).toEqual({ status: 'new', step: 'hardware' });
    first.getState().setOnboardingStep('network');
    first.getState().setOnboardingStatus('paused');

    const again = await freshStore();
    expect(again.getState().onboarding).toEqual({ status: 'paused', step: 'network' });
    // Left for now: the app opens on the Dashboard, the guide waits in the sidebar.
    expect(again.getState().page).toBe('dashboard');
  });

  it('starts over from a damaged record instead of failing', async () => {
    storage.set('tandem.onboarding', '{not json');
    expect((await freshStore()).getState().onboarding).toEqual({ status: 'new', step: 'hardware' });
    storage.set('tandem.onboarding', JSON.stringify({ status: 'done', step: 'nonsense' }));
    expect((await freshStore()).getState().onboarding).toEqual({ status: 'done', step: 'hardware' });
  });
});
