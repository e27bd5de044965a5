import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ContractError, IPC_CHANNELS, type ResponseEnvelope } from '../../../contract';
import type { Dispatch } from '../../core/dispatcher';
import type { Logger } from '../../core/logging/logger';
import { isTrustedSender, type TrustedRenderer } from './sender-check';

/**
 * The Electron side of the contract: one invoke channel into the same
 * dispatcher the headless bridge uses, behind a sender check.
 */
export function registerContractIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  dispatch: Dispatch;
  trusted: () => TrustedRenderer | undefined;
  logger: Logger;
}): () => void {
  const log = options.logger.child({ source: 'ipc' });
  options.ipcMain.handle(IPC_CHANNELS.request, async (event: IpcMainInvokeEvent, raw: unknown): Promise<ResponseEnvelope> => {
    if (!isTrustedSender(event, options.trusted())) {
      log.warn({ url: event.senderFrame?.url }, 'refused IPC from an untrusted sender');
      return { kind: 'response', id: null, ok: false, error: new ContractError('UNAUTHORIZED', 'sender is not the Tandem window').toBody() };
    }
    return options.dispatch(raw);
  });
  return () => options.ipcMain.removeHandler(IPC_CHANNELS.request);
}
