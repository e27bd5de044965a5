import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { devnetManifest } from '../../../main/devnet/devnet-manifest';
import { CommitRevealError, createValidatorRuntime } from '../../../main/services/validator/validator-runtime';
import { devSigner } from '../../support/dev-signer';
import { devnetNodeHarness, NODE_NETUID } from '../../support/devnet-node';

/** A validator joining a network: it refuses, naming the hyperparameter, where it could not set weights. */
describe('createValidatorRuntime', () => {
  const harness = devnetNodeHarness();
  const trainer = {
    started: false,
    start() {
      this.started = true;
    },
    evaluate: () => Promise.reject(new Error('not used')),
    applyOuter: () => Promise.reject(new Error('not used')),
  };

  it('refuses a subnet with commit-reveal of weights on, before anything starts', async () => {
    const { chain } = await harness.joined({ commitRevealWeightsEnabled: true });
    const ferdie = devSigner('//Ferdie');
    await chain.register(NODE_NETUID, ferdie.address, ferdie);
    const manifest = devnetManifest();
    await expect(createValidatorRuntime({ manifest, chain, hotkey: ferdie, trainer, folder: harness.tempDir(), logger: pino({ level: 'silent' }) })).rejects.toThrow(CommitRevealError);
    await expect(createValidatorRuntime({ manifest, chain, hotkey: ferdie, trainer, folder: harness.tempDir(), logger: pino({ level: 'silent' }) })).rejects.toThrow(/hyperparameter CommitRevealWeightsEnabled/);
    expect(trainer.started).toBe(false);
  });

  it('refuses a hotkey that is not registered, saying how to register', async () => {
    const { chain } = await harness.joined();
    await expect(createValidatorRuntime({ manifest: devnetManifest(), chain, hotkey: devSigner('//Nobody'), trainer, folder: harness.tempDir(), logger: pino({ level: 'silent' }) })).rejects.toThrow(/is not registered on subnet 3 of devnet: register it \(tandem register\)/);
  });
});
