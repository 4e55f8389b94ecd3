/**
 * The diff of two checkpoints of a notebook (or of one and the editor): the
 * model that asks the server for it and keeps the reply.
 */

import type * as nbformat from '@jupyterlab/nbformat';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { diffNotebook, INotebookDiffReply } from '../api';

/**
 * Loads the diff of a checkpoint with another checkpoint, or with the
 * notebook in the editor, and keeps the reply or the error.
 */
export class CheckpointDiffModel implements IDisposable {
  /**
   * Create a model; nothing is loaded until {@link load}.
   */
  constructor(options: CheckpointDiffModel.IOptions) {
    this._serverSettings = options.serverSettings;
    this._request = { ...options.request };
    this._current = options.current ?? null;
  }

  /**
   * Emitted when the reply, the loading flag or the error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * What is compared.
   */
  get request(): CheckpointDiffModel.IRequest {
    return this._request;
  }

  /**
   * Whether the remote side is the editor's content.
   */
  get againstEditor(): boolean {
    return this._request.remote === undefined;
  }

  /**
   * The last diff received, or `null`.
   */
  get reply(): INotebookDiffReply | null {
    return this._reply;
  }

  /**
   * Whether a load is in flight.
   */
  get loading(): boolean {
    return this._loading;
  }

  /**
   * The message of the last failed load, or `null`.
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether the model is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Compute the diff on the server (again, for the editor's latest content
   * when the remote side is the editor).
   *
   * @returns A promise that never rejects; a failure is kept in `error`.
   */
  async load(): Promise<void> {
    if (this._isDisposed || this._loading) {
      return;
    }
    this._loading = true;
    this._changed.emit();
    try {
      let current: nbformat.INotebookContent | undefined;
      if (this.againstEditor) {
        const content = this._current?.();
        if (!content) {
          throw new Error(
            `${this._request.path} is not open in an editor, so there is nothing to compare checkpoint ${this._request.base} with.`
          );
        }
        current = content;
      }
      const reply = await diffNotebook(this._serverSettings, {
        project: this._request.project,
        path: this._request.path,
        base: this._request.base,
        remote: this._request.remote,
        current
      });
      if (this._isDisposed) {
        return;
      }
      this._reply = reply;
      this._error = null;
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._error =
        reason instanceof Error && reason.message
          ? reason.message
          : 'The diff could not be computed.';
    } finally {
      this._loading = false;
      if (!this._isDisposed) {
        this._changed.emit();
      }
    }
  }

  /**
   * Dispose the model.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _serverSettings: ServerConnection.ISettings;
  private _request: CheckpointDiffModel.IRequest;
  private _current: (() => nbformat.INotebookContent | null) | null;
  private _reply: INotebookDiffReply | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `CheckpointDiffModel` statics.
 */
export namespace CheckpointDiffModel {
  /**
   * What to compare.
   */
  export interface IRequest {
    /**
     * The project; the server's default when absent.
     */
    project?: string;
    /**
     * The notebook's path as the tracker knows it.
     */
    path: string;
    /**
     * The base checkpoint's number (the left side).
     */
    base: number;
    /**
     * The other checkpoint's number; absent to compare with the editor.
     */
    remote?: number;
  }

  /**
   * Options to create a model.
   */
  export interface IOptions {
    /**
     * The server connection settings.
     */
    serverSettings: ServerConnection.ISettings;
    /**
     * What to compare.
     */
    request: IRequest;
    /**
     * The editor's content, read at each load when `request.remote` is
     * absent; `null` when the notebook is no longer open.
     */
    current?: () => nbformat.INotebookContent | null;
  }
}
