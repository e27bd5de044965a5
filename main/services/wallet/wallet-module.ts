import { ContractError } from '../../../contract';
import { walletEvents, type walletMethods } from '../../../contract/domains/wallet';
import type { CoreModule } from '../../core/module';
import { asCoreHandlers, domainEmitter, type DomainHandlers } from '../../core/domain-module';
import { WalletError } from './errors';
import type { WalletRecord } from './wallet-store';
import type { WalletService, WalletStatusData } from './wallet-service';

function summary(record: WalletRecord) {
  return {
    name: record.name,
    coldkeyAddress: record.coldkeyAddress,
    coldkeyWatchOnly: record.coldkeyWatchOnly,
    hotkeys: record.hotkeys,
    source: record.source,
    createdAt: record.createdAt,
    backedUp: record.backedUp,
  };
}

function statusView(status: WalletStatusData) {
  return { ...status, wallets: status.wallets.map(summary) };
}

/** WalletErrors become FAILED contract errors with their (secret-free) message. */
async function guard<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WalletError) throw new ContractError('FAILED', error.message);
    throw error;
  }
}

/**
 * The wallet domain of the core. Handlers return addresses and flags only;
 * the single secret that ever leaves is the new coldkey's phrase in
 * wallet.reveal, against its one-time token.
 */
export function createWalletModule(service: WalletService): CoreModule {
  let unsubscribe: (() => void) | undefined;
  let context: Parameters<CoreModule['handlers']>[0] | undefined;
  return {
    name: 'wallet',
    handlers(ctx) {
      context = ctx;
      const log = ctx.logger;
      const handlers: DomainHandlers<typeof walletMethods> = {
        'wallet.status': async () => statusView(await service.status()),
        'wallet.create': (p) =>
          guard(async () => {
            const created = await service.create(p);
            log.info({ wallet: p.name, coldkey: created.record.coldkeyAddress, words: p.words }, 'wallet created; recovery phrase awaits its one-time reveal');
            for (const warning of created.warnings) log.warn({ wallet: p.name, warning: warning.detail }, 'coldkey created on a machine that looks rented or remote');
            return { wallet: summary(created.record), revealToken: created.revealToken, revealExpiresAt: created.revealExpiresAt, warnings: created.warnings };
          }),
        'wallet.reveal': (p) =>
          guard(() => {
            const words = service.reveal(p.token);
            log.info('recovery phrase revealed once; it is not kept');
            return { words };
          }),
        'wallet.discardReveal': (p) => ({ discarded: service.discardReveal(p.token) }),
        'wallet.confirmBackup': (p) => guard(async () => summary(await service.confirmBackup(p.name))),
        'wallet.import': (p) =>
          guard(async () => {
            const record = await service.importKeys(p);
            log.info({ wallet: p.name, coldkey: record.coldkeyAddress, from: p.coldkey.kind }, 'wallet imported');
            return { wallet: summary(record), warnings: service.machineWarnings() };
          }),
        'wallet.importBtcli': (p) =>
          guard(async () => {
            const { record, skipped } = await service.importBtcli({ name: p.name, folder: p.path, btcliPassword: p.btcliPassword, coldkeyPassphrase: p.coldkeyPassphrase, hotkeyPassphrase: p.hotkeyPassphrase });
            log.info({ wallet: p.name, coldkey: record.coldkeyAddress, hotkeys: record.hotkeys.length, skipped: skipped.length }, 'btcli wallet imported');
            return { wallet: summary(record), warnings: service.machineWarnings(), skipped };
          }),
        'wallet.select': (p) =>
          guard(async () => {
            await service.select(p.name);
            return statusView(await service.status());
          }),
        'wallet.unlock': (p) =>
          guard(async () => {
            await service.unlock({ name: p.name, hotkey: p.hotkey, passphrase: p.passphrase, remember: p.remember, timeoutMinutes: p.timeoutMinutes });
            log.info({ wallet: p.name, hotkey: p.hotkey, timeoutMinutes: p.timeoutMinutes, remembered: p.remember }, 'hotkey unlocked');
            return statusView(await service.status());
          }),
        'wallet.lock': (p) =>
          guard(async () => {
            await service.lock({ forget: p.forget });
            log.info('hotkey locked');
            return statusView(await service.status());
          }),
        'wallet.changePassphrase': (p) =>
          guard(async () => {
            const record = await service.changePassphrase(p);
            log.info({ wallet: p.name, key: p.key }, 'passphrase changed');
            return summary(record);
          }),
      };
      return asCoreHandlers(handlers);
    },
    async start() {
      const ctx = context;
      if (!ctx) return;
      const emit = domainEmitter(ctx, walletEvents);
      unsubscribe = service.onChange(() => {
        void service.status().then(
          (status) => emit('wallet.status', statusView(status)),
          (error: unknown) => ctx.logger.warn({ err: error }, 'wallet status failed'),
        );
      });
      if (await service.unlockFromKeychain().catch(() => false)) ctx.logger.info('hotkey unlocked from the OS keychain');
    },
    stop() {
      unsubscribe?.();
      service.dispose();
    },
  };
}
