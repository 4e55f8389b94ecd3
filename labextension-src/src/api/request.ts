/**
 * The one function that sends requests to the jupyter-tracker REST API.
 *
 * Every resource module in this folder calls {@link requestAPI}; nothing
 * else in the extension talks to the server.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

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
   * @param field - The request field at fault, when given.
   */
  constructor(
    status: number,
    message: string,
    reason: string | null = null,
    field: string | null = null
  ) {
    super(message);
    this.name = 'TrackerApiError';
    this.status = status;
    this.reason = reason;
    this.field = field;
  }

  /**
   * The HTTP status code.
   */
  readonly status: number;

  /**
   * The server's short machine-readable reason, if any.
   */
  readonly reason: string | null;

  /**
   * The request field the server found at fault, if any.
   */
  readonly field: string | null;
}

/**
 * A query value; `undefined` and `null` values are left out of the URL.
 */
export type QueryValue = string | number | boolean | undefined | null;

/**
 * What one call needs.
 */
export interface IRequest {
  /**
   * The HTTP method; `GET` by default.
   */
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /**
   * Query parameters.
   */
  query?: { [key: string]: QueryValue };
  /**
   * A JSON body (serialized here), or a string sent as it is.
   */
  body?: unknown;
  /**
   * Aborts the request when signalled.
   */
  signal?: AbortSignal;
}

/**
 * Send a request and decode its JSON answer.
 *
 * Requests go through `ServerConnection.makeRequest`, which adds the XSRF
 * header and the credentials the rest of JupyterLab uses.
 *
 * @param settings - The server connection settings.
 * @param path - The path below {@link API_PATH}, e.g. `runs`.
 * @param request - Method, query, body and abort signal.
 * @returns The decoded JSON body (`undefined` for an empty body).
 * @throws {@link TrackerApiError} when the server answers non-2xx, and
 *   `ServerConnection.NetworkError` when it cannot be reached.
 */
export async function requestAPI<T>(
  settings: ServerConnection.ISettings,
  path: string,
  request: IRequest = {}
): Promise<T> {
  const { text, url, status } = await requestText(settings, path, request);
  if (!text) {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new TrackerApiError(
      status,
      `The server sent a response that is not JSON (${url}).`
    );
  }
}

/**
 * Send a request and return its body as text (a notebook's JSON, say).
 *
 * @throws {@link TrackerApiError} when the server answers non-2xx.
 */
export async function requestText(
  settings: ServerConnection.ISettings,
  path: string,
  request: IRequest = {}
): Promise<{ text: string; url: string; status: number }> {
  const url =
    URLExt.join(settings.baseUrl, API_PATH, path) +
    Private.queryString(request.query);
  const init: RequestInit = {
    method: request.method ?? 'GET',
    signal: request.signal
  };
  if (request.body !== undefined) {
    init.body =
      typeof request.body === 'string'
        ? request.body
        : JSON.stringify(request.body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  if (!response.ok) {
    throw Private.toError(response, text);
  }
  return { text, url, status: response.status };
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Build `?a=1&b=2` from the defined values, or an empty string.
   */
  export function queryString(query?: { [key: string]: QueryValue }): string {
    if (!query) {
      return '';
    }
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) {
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
    let body: { message?: unknown; reason?: unknown; field?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') {
        body = parsed as typeof body;
      }
    } catch {
      // Not JSON (a proxy error page, for instance): fall back to the status.
    }
    const message =
      typeof body.message === 'string' && body.message
        ? body.message
        : `${response.status} ${response.statusText || 'Request failed'}`.trim();
    const reason = typeof body.reason === 'string' ? body.reason : null;
    const field = typeof body.field === 'string' ? body.field : null;
    return new TrackerApiError(response.status, message, reason, field);
  }
}
