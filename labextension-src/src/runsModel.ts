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
    this._project = options.project ?? DEFAULT_PROJECT;
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
   * The key of the project whose runs are listed.
   */
  get project(): string {
    return this._project;
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
   * Load the runs, joining a load in flight; rejects when the load fails.
   */
  private _load(): Promise<void> {
    if (this._isDisposed) {
      return Promise.resolve();
    }
    if (!this._pending) {
      this._pending = this._fetch().finally(() => {
        this._pending = null;
        this._abort = null;
        if (!this._isDisposed) {
          this._changed.emit();
        }
      });
      this._changed.emit();
    }
    return this._pending;
  }

  /**
   * Fetch one page and record the outcome.
   */
  private async _fetch(): Promise<void> {
    const abort = new AbortController();
    this._abort = abort;
    try {
      const page = await this._client.listRuns(
        {
          project: this._project,
          limit: this._limit,
          sort: '-created_at'
        },
        { signal: abort.signal }
      );
      if (this._isDisposed) {
        return;
      }
      if (!Private.sameRuns(this._runs, page.runs)) {
        this._runs = page.runs;
      }
      this._total = page.total;
      this._loaded = true;
      this._error = null;
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._error = Private.describe(reason);
      throw reason;
    }
  }

  private _client: ITrackerClient;
  private _project: string;
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
     * The project key; defaults to {@link DEFAULT_PROJECT}.
     */
    project?: string;
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
