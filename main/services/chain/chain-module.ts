import { ContractError } from '../../../contract';
import { chainEvents, type chainMethods } from '../../../contract/domains/chain';
import type { CoreModule } from '../../core/module';
import { WalletError } from '../wallet/errors';
import { asCoreHandlers, domainEmitter, type DomainHandlers } from '../../core/domain-module';
import { ChainService, type ChainServiceOptions } from './chain-service';
import { neuronView } from './chain-status';
import { ChainActionError } from './chain-writes';

async function guard<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ChainActionError || error instanceof WalletError) throw new ContractError('FAILED', error.message);
    if (error instanceof ContractError) throw error;
    throw new ContractError('FAILED', `chain: ${(error as Error).message}`);
  }
}

/**
 * The chain domain of the core: follows the configured network (devnet, local,
 * test, finney or a URL), and exposes status, metagraph, rewards and the
 * prepare → confirm writes.
 */
export function createChainModule(
  options: Omit<ChainServiceOptions, 'logger'> & {
    pollConfigMs?: number;
    /** Calls back when the chain behind the current target appeared or went (the devnet's, on join and stop); the module reconnects. */
    onChainChange?: (listener: () => void) => () => void;
  },
): CoreModule & { service: () => ChainService | undefined } {
  let service: ChainService | undefined;
  let context: Parameters<CoreModule['handlers']>[0] | undefined;
  let watch: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;
  let unsubscribeChange: (() => void) | undefined;
  const need = () => {
    if (!service) throw new ContractError('FAILED', 'the chain module has not started');
    return service;
  };
  return {
    name: 'chain',
    service: () => service,
    handlers(ctx) {
      context = ctx;
      service = new ChainService({ ...options, logger: ctx.logger });
      const handlers: DomainHandlers<typeof chainMethods> = {
        'chain.status': () => need().status(),
        'chain.metagraph': (p) =>
          guard(async () => {
            const metagraph = await need().metagraph(p.netuid);
            return { netuid: metagraph.netuid, block: metagraph.block, neurons: metagraph.neurons.map(neuronView) };
          }),
        'chain.rewards': (p) => need().rewards(p.limit),
        'chain.prepare': (p) => guard(() => need().prepare(p)),
        'chain.confirm': (p) =>
          guard(async () => {
            const result = await need().confirm(p.token, p.coldkeyPassphrase);
            ctx.logger.info({ action: result.action, uid: result.uid }, 'chain write confirmed and included');
            return result;
          }),
        'chain.cancel': (p) => ({ cancelled: need().cancel(p.token) }),
      };
      return asCoreHandlers(handlers);
    },
    async start() {
      const ctx = context;
      const s = service;
      if (!ctx || !s) return;
      const emit = domainEmitter(ctx, chainEvents);
      unsubscribe = s.onStatus((status) => emit('chain.status', status));
      // Connecting can take a while (or fail): never hold up the core's start.
      void s.connect(ctx.config.value.network);
      watch = setInterval(() => {
        const target = ctx.config.value.network;
        if (target !== s.status().target) void s.connect(target);
      }, options.pollConfigMs ?? 2000);
      watch.unref?.();
      unsubscribeChange = options.onChainChange?.(() => {
        const target = ctx.config.value.network;
        void s.disconnect().then(() => s.connect(target));
      });
    },
    async stop() {
      if (watch) clearInterval(watch);
      unsubscribe?.();
      unsubscribeChange?.();
      await service?.disconnect();
    },
  };
}
