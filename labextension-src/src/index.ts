/**
 * The JupyterLab plugins of jupyter-tracker.
 */

import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { checkpointHistoryPlugin } from './plugins/checkpointHistory';
import { clientPlugin } from './plugins/client';
import { runsSidebarPlugin } from './plugins/runsSidebar';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  clientPlugin,
  runsSidebarPlugin,
  checkpointHistoryPlugin
];

export default plugins;
