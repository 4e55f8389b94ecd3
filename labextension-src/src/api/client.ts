/**
 * The shared client of the runs API.
 */

import { ServerConnection } from '@jupyterlab/services';

import {
  IListRunsQuery,
  IRequestOptions,
  IRun,
  IRunCreate,
  IRunPage,
  ITrackerClient
} from '../tokens';
import { requestAPI } from './request';

/**
 * A client of the jupyter-tracker REST API over the Jupyter server connection.
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
    return requestAPI<IRunPage>(this.serverSettings, 'runs', {
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
    return requestAPI<IRun>(this.serverSettings, 'runs', {
      method: 'POST',
      body,
      signal: options?.signal
    });
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
