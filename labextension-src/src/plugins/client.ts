/**
 * The plugin providing the shared API client.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { TrackerClient } from '../api';
import { ITrackerClient } from '../tokens';

/**
 * Provides one {@link ITrackerClient} bound to the app's server connection.
 */
export const clientPlugin: JupyterFrontEndPlugin<ITrackerClient> = {
  id: 'jupyter-tracker:client',
  description: 'Provides the client of the jupyter-tracker REST API.',
  autoStart: true,
  provides: ITrackerClient,
  activate: (app: JupyterFrontEnd): ITrackerClient =>
    new TrackerClient({ serverSettings: app.serviceManager.serverSettings })
};
