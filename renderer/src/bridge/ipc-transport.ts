import type { MessageTransport, PreloadApi } from '../../../contract';

/** Electron: requests go through the preload's invoke; responses and events both land in the receiver. */
export function createIpcTransport(api: PreloadApi): MessageTransport {
  let receive: (message: unknown) => void = () => {};
  api.onEvent((message) => receive(message));
  return {
    setReceiver(receiver) {
      receive = receiver;
    },
    send(envelope) {
      api.request(envelope).then(
        (response) => receive(response),
        (error: unknown) =>
          receive({ kind: 'response', id: envelope.id, ok: false, error: { code: 'DISCONNECTED', message: String(error) } }),
      );
    },
  };
}
