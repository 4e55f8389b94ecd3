/**
 * The JupyterLab plugins of jupyter-tracker.
 */

import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { checkpointHistoryPlugin } from './plugins/checkpointHistory';
import { clientPlugin } from './plugins/client';
import { notebookToolbarPlugin } from './plugins/notebookToolbar';
import { runsSidebarPlugin } from './plugins/runsSidebar';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  clientPlugin,
  runsSidebarPlugin,
  notebookToolbarPlugin,
  checkpointHistoryPlugin
];

export default plugins;
