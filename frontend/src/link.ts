import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage as KM } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { ICellsMessage, KernelMessage, TARGET } from './protocol';

/**
 * The comm between one notebook and its kernel's hamilton_nb extension.
 *
 * The kernel opens it at `%load_ext hamilton_nb`; after a page reload the link opens one
 * itself when the kernel already has one open. Either way the link says `hello`, and the
 * kernel starts sending badges. Nothing is polled.
 */
export class KernelLink {
  constructor(readonly panel: NotebookPanel) {
    panel.sessionContext.kernelChanged.connect((_, change) => this._connect(change.newValue));
    panel.sessionContext.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
        this._forget();
      }
    });
    this._connect(panel.sessionContext.session?.kernel ?? null);
  }

  /** The last `cells` message (null before the kernel loaded the extension). */
  get state(): ICellsMessage | null {
    return this._state;
  }

  /** The cell whose nodes are running now, if any. */
  get running(): string | null {
    return this._running;
  }

  /** Badges or stale outputs changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Every message of the kernel (reveal, panel, found, status, ...). */
  get received(): ISignal<this, KernelMessage> {
    return this._received;
  }

  get connected(): boolean {
    return this._comm !== null && !this._comm.isDisposed;
  }

  send(data: { [key: string]: any }): boolean {
    if (!this.connected) {
      return false;
    }
    this._comm!.send(data);
    return true;
  }

  dispose(): void {
    this._forget();
  }

  private _connect(kernel: Kernel.IKernelConnection | null): void {
    this._forget();
    if (!kernel) {
      return;
    }
    kernel.registerCommTarget(TARGET, (comm) => this._use(comm));
    // After a reload: the kernel loaded the extension before this page existed.
    kernel
      .requestCommInfo({ target_name: TARGET })
      .then((reply) => {
        const content = reply.content as any;
        if (content.status === 'ok' && Object.keys(content.comms ?? {}).length && !this.connected) {
          const comm = kernel.createComm(TARGET);
          comm.open({});
          this._use(comm);
        }
      })
      .catch(() => undefined); // a kernel without comms: nothing to show
  }

  private _use(comm: Kernel.IComm): void {
    this._comm = comm;
    comm.onMsg = (msg: KM.ICommMsgMsg) => this._handle(msg.content.data as unknown as KernelMessage);
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
      }
    };
    comm.send({ kind: 'hello' });
  }

  private _handle(message: KernelMessage): void {
    if (message.kind === 'cells') {
      this._state = message;
      this._running = null;
      this._changed.emit();
    } else if (message.kind === 'running') {
      this._running = message.cell;
      this._changed.emit();
    }
    this._received.emit(message);
  }

  private _forget(): void {
    this._comm = null;
    if (this._state || this._running) {
      this._state = null;
      this._running = null;
      this._changed.emit();
    }
  }

  private _comm: Kernel.IComm | null = null;
  private _state: ICellsMessage | null = null;
  private _running: string | null = null;
  private _changed = new Signal<this, void>(this);
  private _received = new Signal<this, KernelMessage>(this);
}
