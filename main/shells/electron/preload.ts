// Thin on purpose: the preload only ferries envelopes between the sandboxed
// renderer and the main process. Validation lives in the main process
// (dispatcher) and in the renderer (ContractClient), never here.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNELS, type PreloadApi } from '../../../contract/bridge';

const api: PreloadApi = {
  kind: 'electron',
  request: (envelope) => ipcRenderer.invoke(IPC_CHANNELS.request, envelope),
  onEvent: (listener) => {
    const forward = (_event: IpcRendererEvent, message: unknown) => listener(message);
    ipcRenderer.on(IPC_CHANNELS.event, forward);
    return () => ipcRenderer.removeListener(IPC_CHANNELS.event, forward);
  },
};

contextBridge.exposeInMainWorld('tandem', api);
