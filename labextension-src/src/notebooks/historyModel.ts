/**
 * The state of the checkpoint history of one notebook.
 */

import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  getConfig,
  ICheckpoint,
  listCheckpoints,
  listNotebooks,
  TrackerApiError
} from '../api';

/**
 * Owns the checkpoints of the notebook being followed: loads them (newest
 * first), keeps the last error, and keeps which checkpoints are selected for
 * a comparison. Emits {@link CheckpointHistoryModel.changed} on any change.
 *
 * The notebook is looked up by the id in its metadata when it has one (so the
 * history survives renames), else by its path. Views render the model and
 * call its methods; they never fetch.
 */
export class CheckpointHistoryModel implements IDisposable {
  /**
   * Create a model following no notebook.
   */
  constructor(options: CheckpointHistoryModel.IOptions) {
    this._serverSettings = options.serverSettings;
    this._fixedProject = options.project ?? null;
  }

  /**
   * Emitted when the notebook, the checkpoints, the selection, the loading
   * flag or the error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The notebook whose history is shown, or `null` when none is.
   */
  get notebook(): CheckpointHistoryModel.INotebook | null {
    return this._notebook;
  }

  /**
   * The project the history was last loaded from, or `null` before a load.
   */
  get project(): string | null {
    return this._project;
  }

  /**
   * The checkpoints of the last successful load, newest first.
   *
   * The array is replaced, never mutated, so views can compare it by
   * identity.
   */
  get checkpoints(): ReadonlyArray<ICheckpoint> {
    return this._checkpoints;
  }

  /**
   * The numbers of the selected checkpoints, in the order they were
   * selected; at most two.
   */
  get selection(): ReadonlyArray<number> {
    return this._selection;
  }

  /**
   * What the selection compares: two checkpoints (`remote` set, the older is
   * the base) or one checkpoint with the editor (`remote` absent); `null`
   * when nothing is selected.
   */
  get comparison(): CheckpointHistoryModel.IComparison | null {
    const selected = this._selection
      .map(number => this._checkpoints.find(c => c.number === number))
      .filter((c): c is ICheckpoint => c !== undefined);
    if (selected.length === 0) {
      return null;
    }
    const sorted = [...selected].sort((a, b) => a.number - b.number);
    const base = sorted[0];
    const remote = sorted.length > 1 ? sorted[sorted.length - 1] : undefined;
    return {
      project: base.project,
      path: base.path,
      base: base.number,
      remote: remote?.number
    };
  }

  /**
   * Whether a load is in flight.
   */
  get loading(): boolean {
    return this._pending !== null;
  }

  /**
   * Whether a load for the current notebook has succeeded.
   */
  get loaded(): boolean {
    return this._loaded;
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
   * Follow another notebook (or none). A change of path or id clears the
   * list and the selection and loads the new history; the same notebook
   * again changes nothing.
   */
  setNotebook(notebook: CheckpointHistoryModel.INotebook | null): void {
    if (this._isDisposed || Private.sameNotebook(this._notebook, notebook)) {
      return;
    }
    this._notebook = notebook ? { ...notebook } : null;
    this._abort?.abort();
    this._pending = null;
    this._abort = null;
    this._checkpoints = [];
    this._selection = [];
    this._loaded = false;
    this._error = null;
    this._changed.emit();
    if (notebook) {
      void this.refresh();
    }
  }

  /**
   * Load the history now. A call while a load is in flight joins it.
   *
   * @returns A promise that settles when the load is over; it never rejects
   *   (a failure is recorded in {@link CheckpointHistoryModel.error}).
   */
  async refresh(): Promise<void> {
    if (this._isDisposed || !this._notebook) {
      return;
    }
    if (!this._pending) {
      const pending = this._fetch(this._notebook).finally(() => {
        if (this._pending === pending) {
          this._pending = null;
          this._abort = null;
          if (!this._isDisposed) {
            this._changed.emit();
          }
        }
      });
      this._pending = pending;
      this._changed.emit();
    }
    return this._pending;
  }

  /**
   * Select or unselect a checkpoint. Selecting a third one drops the one
   * selected first, so the selection always holds the last two picked.
   */
  setSelected(number: number, selected: boolean): void {
    const has = this._selection.includes(number);
    if (selected === has) {
      return;
    }
    if (!selected) {
      this._selection = this._selection.filter(n => n !== number);
    } else {
      if (!this._checkpoints.some(c => c.number === number)) {
        return;
      }
      this._selection = [...this._selection, number].slice(
        -CheckpointHistoryModel.MAX_SELECTION
      );
    }
    this._changed.emit();
  }

  /**
   * Flip the selection of a checkpoint.
   */
  toggleSelected(number: number): void {
    this.setSelected(number, !this._selection.includes(number));
  }

  /**
   * Make a checkpoint the only one selected.
   */
  selectOnly(number: number): void {
    if (
      !this._checkpoints.some(c => c.number === number) ||
      (this._selection.length === 1 && this._selection[0] === number)
    ) {
      return;
    }
    this._selection = [number];
    this._changed.emit();
  }

  /**
   * Unselect every checkpoint.
   */
  clearSelection(): void {
    if (this._selection.length === 0) {
      return;
    }
    this._selection = [];
    this._changed.emit();
  }

  /**
   * Dispose the model and abort any load in flight.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._abort?.abort();
    Signal.clearData(this);
  }

  /**
   * Load the history of `notebook` and record the outcome, unless the model
   * has moved on to another notebook meanwhile.
   */
  private async _fetch(
    notebook: CheckpointHistoryModel.INotebook
  ): Promise<void> {
    const abort = new AbortController();
    this._abort = abort;
    const current = () =>
      !this._isDisposed && !abort.signal.aborted && this._notebook === notebook;
    try {
      const project = this._fixedProject ?? (await this._configuredProject());
      const checkpoints = await Private.load(
        this._serverSettings,
        project,
        notebook
      );
      if (!current()) {
        return;
      }
      this._project = checkpoints[0]?.project ?? project ?? null;
      if (!Private.sameCheckpoints(this._checkpoints, checkpoints)) {
        this._checkpoints = checkpoints;
        const numbers = new Set(checkpoints.map(c => c.number));
        this._selection = this._selection.filter(n => numbers.has(n));
      }
      this._loaded = true;
      this._error = null;
    } catch (reason) {
      if (!current()) {
        return;
      }
      this._error = Private.describe(reason);
    }
  }

  /**
   * The project chosen in Configure, or `undefined` (the server's default)
   * when the settings cannot be read.
   */
  private async _configuredProject(): Promise<string | undefined> {
    try {
      const config = await getConfig(this._serverSettings);
      return config.project || undefined;
    } catch {
      return undefined;
    }
  }

  private _serverSettings: ServerConnection.ISettings;
  private _fixedProject: string | null;
  private _project: string | null = null;
  private _notebook: CheckpointHistoryModel.INotebook | null = null;
  private _checkpoints: ReadonlyArray<ICheckpoint> = [];
  private _selection: ReadonlyArray<number> = [];
  private _loaded = false;
  private _error: string | null = null;
  private _pending: Promise<void> | null = null;
  private _abort: AbortController | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace for `CheckpointHistoryModel` statics.
 */
export namespace CheckpointHistoryModel {
  /**
   * Options to create a model.
   */
  export interface IOptions {
    /**
     * The server connection settings of every request.
     */
    serverSettings: ServerConnection.ISettings;
    /**
     * The project to list from; by default the one chosen in Configure
     * (read at each load).
     */
    project?: string;
  }

  /**
   * The notebook whose history is shown.
   */
  export interface INotebook {
    /**
     * The path relative to the Jupyter root.
     */
    path: string;
    /**
     * `metadata.jupyter_tracker.notebook_id`, when the notebook has one.
     */
    notebookId: string | null;
  }

  /**
   * What a selection compares: checkpoint `base` with checkpoint `remote`,
   * or with the editor content when `remote` is absent.
   */
  export interface IComparison {
    project: string;
    /**
     * The notebook's path as the tracker knows it.
     */
    path: string;
    base: number;
    remote?: number;
  }

  /**
   * How many checkpoints can be selected at once.
   */
  export const MAX_SELECTION = 2;
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The checkpoints of a notebook, found among the project's notebooks by
   * the id in its metadata (so a renamed notebook keeps its history), else
   * by its path; none when the tracker does not know it yet.
   */
  export async function load(
    settings: ServerConnection.ISettings,
    project: string | undefined,
    notebook: CheckpointHistoryModel.INotebook
  ): Promise<ICheckpoint[]> {
    const known = await listNotebooks(settings, project);
    const summary =
      (notebook.notebookId
        ? known.find(n => n.notebook_id === notebook.notebookId)
        : undefined) ?? known.find(n => n.path === notebook.path);
    if (!summary) {
      return [];
    }
    try {
      return await listCheckpoints(settings, {
        project: summary.project || project,
        path: summary.path
      });
    } catch (reason) {
      // Deleted or moved since it was listed.
      if (reason instanceof TrackerApiError && reason.status === 404) {
        return [];
      }
      throw reason;
    }
  }

  /**
   * Whether two notebook references name the same notebook.
   */
  export function sameNotebook(
    a: CheckpointHistoryModel.INotebook | null,
    b: CheckpointHistoryModel.INotebook | null
  ): boolean {
    if (a === null || b === null) {
      return a === b;
    }
    return a.path === b.path && a.notebookId === b.notebookId;
  }

  /**
   * Whether two checkpoint lists hold the same data.
   */
  export function sameCheckpoints(
    a: ReadonlyArray<ICheckpoint>,
    b: ReadonlyArray<ICheckpoint>
  ): boolean {
    return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
  }

  /**
   * A one-line message for a failure of any kind.
   */
  export function describe(reason: unknown): string {
    if (reason instanceof Error && reason.message) {
      return reason.message;
    }
    if (typeof reason === 'string' && reason) {
      return reason;
    }
    return 'The checkpoints could not be loaded.';
  }
}
