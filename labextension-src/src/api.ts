/**
 * The only module that talks to the jupyter-tracker server.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IApiErrorBody,
  IListRunsQuery,
  IRequestOptions,
  IRun,
  IRunCreate,
  IRunPage,
  ITrackerClient
} from './tokens';

/**
 * The path of the REST API below the server's base URL.
 */
export const API_PATH = 'jupyter-tracker/api/v1';

/**
 * An error answered by the server (a non-2xx status).
 */
export class TrackerApiError extends Error {
  /**
   * Create an error.
   *
   * @param status - The HTTP status code.
   * @param message - The server's explanation.
   * @param reason - The server's short reason, when given.
   */
  constructor(status: number, message: string, reason: string | null = null) {
    super(message);
    this.name = 'TrackerApiError';
    this.status = status;
    this.reason = reason;
  }

  /**
   * The HTTP status code.
   */
  readonly status: number;

  /**
   * The server's short machine-readable reason, if any.
   */
  readonly reason: string | null;
}

/**
 * A client of the jupyter-tracker REST API over the Jupyter server connection.
 *
 * Requests go through `ServerConnection.makeRequest`, which adds the XSRF
 * header and the token the rest of JupyterLab uses.
 */
export class TrackerClient implements ITrackerClient {
  /**
   * Create a client.
   */
  constructor(options: TrackerClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  /**
   * The server settings used for requests.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * List the runs of a project.
   */
  listRuns(
    query: IListRunsQuery,
    options?: IRequestOptions
  ): Promise<IRunPage> {
    return this.request<IRunPage>('runs', {
      query: {
        project: query.project,
        limit: query.limit,
        offset: query.offset,
        sort: query.sort
      },
      signal: options?.signal
    });
  }

  /**
   * Create a run and return it.
   */
  createRun(body: IRunCreate, options?: IRequestOptions): Promise<IRun> {
    return this.request<IRun>('runs', {
      method: 'POST',
      body,
      signal: options?.signal
    });
  }

  /**
   * Send a request to the API and decode its JSON answer.
   *
   * @param path - The path below {@link API_PATH}, e.g. `runs`.
   * @param options - Method, query, JSON body and abort signal.
   * @returns The decoded JSON body (`undefined` for an empty body).
   * @throws {@link TrackerApiError} when the server answers non-2xx, and
   *   `ServerConnection.NetworkError` when it cannot be reached.
   */
  protected async request<T>(
    path: string,
    options: Private.IRequest = {}
  ): Promise<T> {
    const settings = this.serverSettings;
    const url =
      URLExt.join(settings.baseUrl, API_PATH, path) +
      Private.queryString(options.query);
    const init: RequestInit = {
      method: options.method ?? 'GET',
      signal: options.signal
    };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers = { 'Content-Type': 'application/json' };
    }

    const response = await ServerConnection.makeRequest(url, init, settings);
    const text = await response.text();
    if (!response.ok) {
      throw Private.toError(response, text);
    }
    if (!text) {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TrackerApiError(
        response.status,
        `The server sent a response that is not JSON (${url}).`
      );
    }
  }
}

/**
 * The namespace for `TrackerClient` statics.
 */
export namespace TrackerClient {
  /**
   * Options to create a client.
   */
  export interface IOptions {
    /**
     * The server settings; defaults to `ServerConnection.makeSettings()`.
     */
    serverSettings?: ServerConnection.ISettings;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A query value; `undefined` values are left out of the URL.
   */
  export type QueryValue = string | number | boolean | undefined;

  /**
   * What `request` needs to send one call.
   */
  export interface IRequest {
    method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
    query?: { [key: string]: QueryValue };
    body?: unknown;
    signal?: AbortSignal;
  }

  /**
   * Build `?a=1&b=2` from the defined values, or an empty string.
   */
  export function queryString(query?: { [key: string]: QueryValue }): string {
    if (!query) {
      return '';
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) {
        params.append(key, String(value));
      }
    }
    const encoded = params.toString();
    return encoded ? `?${encoded}` : '';
  }

  /**
   * Turn a non-2xx response into an error carrying the server's message.
   */
  export function toError(response: Response, text: string): TrackerApiError {
    let body: IApiErrorBody = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') {
        body = parsed as IApiErrorBody;
      }
    } catch {
      // Not JSON (a proxy error page, for instance): fall back to the status.
    }
    const message =
      typeof body.message === 'string' && body.message
        ? body.message
        : `${response.status} ${response.statusText || 'Request failed'}`.trim();
    const reason = typeof body.reason === 'string' ? body.reason : null;
    return new TrackerApiError(response.status, message, reason);
  }
}
