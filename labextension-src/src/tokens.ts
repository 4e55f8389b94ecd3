/**
 * Tokens and the types of the jupyter-tracker REST API.
 *
 * Everything here mirrors the server's JSON contract; nothing here talks to
 * the server (see `api.ts`) or holds state (see `runsModel.ts`).
 */

import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';

/**
 * The project whose runs are shown when no other project is chosen.
 */
export const DEFAULT_PROJECT = 'sandbox';

/**
 * The lifecycle state of a run.
 */
export type RunState = 'running' | 'succeeded' | 'failed' | 'aborted';

/**
 * All run states, in the order they are usually presented.
 */
export const RUN_STATES: ReadonlyArray<RunState> = [
  'running',
  'succeeded',
  'failed',
  'aborted'
];

/**
 * A JSON value as stored in run params and properties.
 */
export type JSONValue =
  string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/**
 * The latest value of a metric, keyed by metric name in {@link IRun.metrics}.
 *
 * The server may add fields; only these are relied on.
 */
export interface IMetricSummary {
  [key: string]: JSONValue | undefined;
}

/**
 * One run, as the server returns it.
 */
export interface IRun {
  /**
   * The human-readable id, e.g. `SAN-3`.
   */
  id: string;
  /**
   * The key of the project the run belongs to.
   */
  project: string;
  /**
   * The sequence number of the run within its project.
   */
  number: number;
  /**
   * The run name; may be empty.
   */
  name: string;
  /**
   * A free-text description; may be empty.
   */
  description: string;
  /**
   * The user who created the run.
   */
  owner: string;
  /**
   * The lifecycle state.
   */
  state: RunState;
  /**
   * ISO 8601 timestamp of creation.
   */
  created_at: string;
  /**
   * ISO 8601 timestamp of completion, or `null` while running.
   */
  finished_at: string | null;
  /**
   * Tags attached to the run.
   */
  tags: string[];
  /**
   * Hyper-parameters logged for the run.
   */
  params: { [key: string]: JSONValue };
  /**
   * Free-form key/value properties.
   */
  properties: { [key: string]: JSONValue };
  /**
   * Metric summaries keyed by metric name.
   */
  metrics: { [key: string]: IMetricSummary };
}

/**
 * One page of runs, as returned by `GET runs`.
 */
export interface IRunPage {
  /**
   * The runs on this page.
   */
  runs: IRun[];
  /**
   * The number of runs matching the query, across all pages.
   */
  total: number;
  /**
   * The page size that was applied.
   */
  limit: number;
  /**
   * The offset of the first run on this page.
   */
  offset: number;
}

/**
 * Query parameters for listing runs.
 */
export interface IListRunsQuery {
  /**
   * The project key.
   */
  project: string;
  /**
   * The maximum number of runs to return.
   */
  limit?: number;
  /**
   * The number of runs to skip.
   */
  offset?: number;
  /**
   * The sort key; a leading `-` sorts descending, e.g. `-created_at`.
   */
  sort?: string;
}

/**
 * The body of `POST runs`.
 */
export interface IRunCreate {
  /**
   * The project key.
   */
  project: string;
  /**
   * The run name.
   */
  name?: string;
  /**
   * A free-text description.
   */
  description?: string;
  /**
   * Hyper-parameters.
   */
  params?: { [key: string]: JSONValue };
  /**
   * Free-form key/value properties.
   */
  properties?: { [key: string]: JSONValue };
  /**
   * Tags.
   */
  tags?: string[];
}

/**
 * The JSON body of an error response.
 */
export interface IApiErrorBody {
  /**
   * A human-readable explanation.
   */
  message?: string;
  /**
   * A short machine-readable reason.
   */
  reason?: string | null;
}

/**
 * Options common to all client calls.
 */
export interface IRequestOptions {
  /**
   * Aborts the request when signalled.
   */
  signal?: AbortSignal;
}

/**
 * A client of the jupyter-tracker REST API.
 *
 * Every call rejects with an `Error` whose `message` is the server's
 * explanation when the server answers with a non-2xx status.
 */
export interface ITrackerClient {
  /**
   * The server connection settings every request uses.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * List the runs of a project.
   */
  listRuns(query: IListRunsQuery, options?: IRequestOptions): Promise<IRunPage>;

  /**
   * Create a run and return it.
   */
  createRun(body: IRunCreate, options?: IRequestOptions): Promise<IRun>;
}

/**
 * The token of the shared {@link ITrackerClient}.
 */
export const ITrackerClient = new Token<ITrackerClient>(
  'jupyter-tracker:ITrackerClient',
  'A client of the jupyter-tracker REST API.'
);
