import { ContractError } from '../../../contract/errors';
import type { RoundState } from '../../../contract/domains/round';
import { idleRoundState } from './round-status';
import type { CoreModule, ModuleContext } from '../../core/module';
import type { RoundLedger } from '../earnings/round-ledger';
import type { EpochPayout } from '../earnings/earnings';
import type { RoundEngine } from './round-engine';
import type { TrainerPort } from '../../ports/trainer-port';

/** Everything a joined run needs, built on the first Join and closed on stop. */
export interface RoundRuntime {
  engine: RoundEngine;
  ledger: RoundLedger;
  /** This machine's trainer (the guard throttles it). */
  trainer?: TrainerPort;
  /** What the chain paid per epoch, for reconciling the earnings ledger. */
  payouts?(): readonly EpochPayout[];
  close(): Promise<void>;
}

export interface RoundModuleOptions {
  /**
   * Builds the runtime for the configured network (devnet: the embedded
   * chain, storage and peers). Throws a ContractError saying what is missing
   * when the run cannot be joined on this machine.
   */
  createRuntime(context: ModuleContext, onState: (state: RoundState) => void): Promise<RoundRuntime>;
  /** Told when the runtime is built and when it is closed. */
  onRuntime?(runtime: RoundRuntime | undefined): void;
  /** Sees every round state (schedules, notifications). */
  onState?(state: RoundState): void;
}

/**
 * The run as the UI drives it: join, leave, the live round and its history.
 * State changes stream to every bridge as `round` events.
 */
export function createRoundModule(options: RoundModuleOptions): CoreModule {
  let runtime: RoundRuntime | undefined;
  let starting: Promise<RoundRuntime> | undefined;
  let lastState: RoundState | undefined;

  return {
    name: 'round',
    handlers: (ctx) => {
      const publish = (state: RoundState) => {
        lastState = state;
        ctx.emit('round', state);
        options.onState?.(state);
      };
      const ensureRuntime = async () => {
        if (runtime) return runtime;
        starting ??= options.createRuntime(ctx, publish).finally(() => (starting = undefined));
        try {
          runtime = await starting;
          options.onRuntime?.(runtime);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          publish(idleRoundState(ctx.config.value.network, reason));
          throw error instanceof ContractError ? error : new ContractError('FAILED', reason);
        }
        return runtime;
      };
      return {
        'round.get': () => lastState ?? idleRoundState(ctx.config.value.network, 'Not joined yet: press Join to start training.'),
        'round.join': async () => (await ensureRuntime()).engine.join(),
        'round.leave': async ({ when }) => (runtime ? runtime.engine.leave(when) : (lastState ?? idleRoundState(ctx.config.value.network, 'Not joined.'))),
        'round.history': async ({ limit }) => (runtime ? (await runtime.ledger.summaries()).slice(-limit) : []),
      };
    },
    stop: async () => {
      if (!runtime) return;
      await runtime.engine.leave('now');
      await runtime.close();
      runtime = undefined;
      options.onRuntime?.(undefined);
    },
  };
}
