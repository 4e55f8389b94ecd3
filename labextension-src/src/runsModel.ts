/**
 * The state of a project's run list.
 */

import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { DEFAULT_PROJECT, IRun, ITrackerClient } from './tokens';

/**
 * Owns the list of runs of one project: loads it through an
 * {@link ITrackerClient}, keeps the last result and the last error, and
 * emits {@link RunsModel.changed} whenever any of that changes.
 *
 * Views call {@link RunsModel.refresh} or start/stop the periodic refresh;
 * they never fetch themselves.
 */
export class RunsModel implements IDisposable {
  /**
   * Create a model. It loads nothing until refreshed or polled.
   */
  constructor(options: RunsModel.IOptions) {
    this._client = options.client;
    const project = options.project ?? DEFAULT_PROJECT;
    if (typeof project === 'string') {
      this._project = project || DEFAULT_PROJECT;
      this._ready = Promise.resolve();
    } else {
      // Loads wait until the project is known; a project set meanwhile wins.
      this._project = '';
      this._ready = project
        .catch(() => null)
        .then(key => {
          // Nothing was loaded yet, so there is nothing to drop or abort:
          // loads waiting for the project go on with it.
          if (!this._project && !this._isDisposed) {
            this._project = key || DEFAULT_PROJECT;
            this._projectChanged.emit(this._project);
          }
        });
    }
    this._limit = options.limit ?? RunsModel.DEFAULT_LIMIT;
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: {
        interval: options.refreshInterval ?? RunsModel.DEFAULT_REFRESH_INTERVAL,
        backoff: true,
        max: RunsModel.MAX_REFRESH_INTERVAL
      },
      name: 'jupyter-tracker:runs',
      standby: 'when-hidden'
    });
  }

  /**
   * Emitted when the runs, the loading flag or the error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with the new key when the listed project changes.
   */
  get projectChanged(): ISignal<this, string> {
    return this._projectChanged;
  }

  /**
   * The key of the project whose runs are listed; empty while the initial
   * project is still being resolved.
   *
   * Setting it drops the runs of the previous project, aborts a load in
   * flight, emits {@link RunsModel.projectChanged} and reloads.
   */
  get project(): string {
    return this._project;
  }
  set project(value: string) {
    if (!value || value === this._project || this._isDisposed) {
      return;
    }
    this._setProject(value);
  }

  /**
   * The runs of the last successful load, newest first.
   *
   * The array is replaced, never mutated, and is kept as is when a reload
   * returns the same runs, so views can compare it by identity.
   */
  get runs(): ReadonlyArray<IRun> {
    return this._runs;
  }

  /**
   * The number of runs in the project (may exceed `runs.length`).
   */
  get total(): number {
    return this._total;
  }

  /**
   * Whether a load is in flight.
   */
  get loading(): boolean {
    return this._pending !== null;
  }

  /**
   * Whether a load has ever succeeded.
   */
  get loaded(): boolean {
    return this._loaded;
  }

  /**
   * The message of the last failed load, or `null` if the last load succeeded.
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
   * Load the runs now. A call while a load is in flight joins that load.
   *
   * @returns A promise that settles when the load is over; it never rejects
   *   (a failure is recorded in {@link RunsModel.error}).
   */
  async refresh(): Promise<void> {
    try {
      await this._load();
    } catch {
      // Recorded in `error` and announced through `changed`.
    }
  }

  /**
   * Load now and then every refresh interval until {@link stopPolling}.
   * Failed loads back off; polling stands by while the page is hidden.
   */
  startPolling(): void {
    void this._poll.start();
  }

  /**
   * Stop the periodic refresh.
   */
  stopPolling(): void {
    void this._poll.stop();
  }

  /**
   * Dispose the model: stop polling and abort any load in flight.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this._abort?.abort();
    Signal.clearData(this);
  }

  /**
   * Switch to another project: forget the previous one's runs, abort its
   * load, announce the change and reload.
   */
  private _setProject(value: string): void {
    this._project = value;
    this._abort?.abort();
    this._abort = null;
    this._pending = null;
    this._runs = [];
    this._total = 0;
    this._loaded = false;
    this._error = null;
    this._projectChanged.emit(value);
    this._changed.emit();
    void this.refresh();
  }

  /**
   * Load the runs, joining a load in flight; rejects when the load fails.
   */
  private _load(): Promise<void> {
    if (this._isDisposed) {
      return Promise.resolve();
    }
    if (!this._pending) {
      const pending: Promise<void> = this._fetch().finally(() => {
        // A project change may have replaced this load with another one.
        if (this._pending === pending) {
          this._pending = null;
          this._abort = null;
        }
        if (!this._isDisposed) {
          this._changed.emit();
        }
      });
      this._pending = pending;
      this._changed.emit();
    }
    return this._pending;
  }

  /**
   * Fetch one page and record the outcome, unless the project changed
   * meanwhile (then the outcome belongs to nobody and is dropped).
   */
  private async _fetch(): Promise<void> {
    const abort = new AbortController();
    this._abort = abort;
    await this._ready;
    const project = this._project;
    const stale = () =>
      this._isDisposed || abort.signal.aborted || project !== this._project;
    if (stale()) {
      return;
    }
    try {
      const page = await this._client.listRuns(
        {
          project,
          limit: this._limit,
          sort: '-created_at'
        },
        { signal: abort.signal }
      );
      if (stale()) {
        return;
      }
      if (!Private.sameRuns(this._runs, page.runs)) {
        this._runs = page.runs;
      }
      this._total = page.total;
      this._loaded = true;
      this._error = null;
    } catch (reason) {
      if (stale()) {
        return;
      }
      this._error = Private.describe(reason);
      throw reason;
    }
  }

  private _client: ITrackerClient;
  private _project: string;
  private _ready: Promise<void>;
  private _limit: number;
  private _poll: Poll;
  private _runs: ReadonlyArray<IRun> = [];
  private _total = 0;
  private _loaded = false;
  private _error: string | null = null;
  private _pending: Promise<void> | null = null;
  private _abort: AbortController | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _projectChanged = new Signal<this, string>(this);
}

/**
 * The namespace for `RunsModel` statics.
 */
export namespace RunsModel {
  /**
   * Options to create a model.
   */
  export interface IOptions {
    /**
     * The API client used to load runs.
     */
    client: ITrackerClient;
    /**
     * The project key, or a promise of it (for example the configured
     * default project; loads wait for it, and {@link DEFAULT_PROJECT} is
     * used if it resolves to `null` or rejects); defaults to
     * {@link DEFAULT_PROJECT}.
     */
    project?: string | Promise<string | null>;
    /**
     * How many runs to load; defaults to {@link DEFAULT_LIMIT}.
     */
    limit?: number;
    /**
     * Milliseconds between refreshes while polling; defaults to
     * {@link DEFAULT_REFRESH_INTERVAL}.
     */
    refreshInterval?: number;
  }

  /**
   * The default number of runs loaded.
   */
  export const DEFAULT_LIMIT = 100;

  /**
   * The default polling interval, in milliseconds.
   */
  export const DEFAULT_REFRESH_INTERVAL = 10_000;

  /**
   * The longest interval failed loads back off to, in milliseconds.
   */
  export const MAX_REFRESH_INTERVAL = 60_000;
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Whether two run lists hold the same data.
   */
  export function sameRuns(
    a: ReadonlyArray<IRun>,
    b: ReadonlyArray<IRun>
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
    return 'The runs could not be loaded.';
  }
}
