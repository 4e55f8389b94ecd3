/**
 * The plugin adding Configure, Upload and Download to the notebook toolbar,
 * and storing the notebook each run started in.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import {
  downloadIcon,
  fileUploadIcon,
  settingsIcon
} from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { showConfigureDialog } from '../notebooks/configureDialog';
import { downloadCheckpoint } from '../notebooks/download';
import { ExecutionHistory } from '../notebooks/executions';
import {
  RunCheckpoints,
  RunStartedWatcher,
  runStartedExtension
} from '../notebooks/runStarted';
import {
  configuredProject,
  METADATA_KEY,
  uploadNotebook
} from '../notebooks/upload';
import { ITrackerClient } from '../tokens';

/**
 * The plugin id; the settings schema `schema/notebook-toolbar.json` puts
 * the three buttons in the notebook toolbar under it.
 */
export const NOTEBOOK_TOOLBAR_PLUGIN_ID = 'jupyter-tracker:notebook-toolbar';

/**
 * Command ids of the notebook toolbar (the ones the settings schema names).
 */
export namespace CommandIDs {
  /**
   * Open the Configure dialog.
   */
  export const configure = 'jupyter-tracker:configure';

  /**
   * Store the current notebook as a new checkpoint.
   */
  export const upload = 'jupyter-tracker:upload-checkpoint';

  /**
   * Open a stored checkpoint as a new notebook.
   */
  export const download = 'jupyter-tracker:download-checkpoint';
}

/**
 * The palette category of the tracker's commands.
 */
const PALETTE_CATEGORY = 'Tracker';

/**
 * Adds the Configure, Upload and Download commands (the notebook toolbar
 * shows them through the settings schema, the palette under "Tracker"),
 * records what notebooks execute, and stores the live notebook as a
 * checkpoint whenever a run starts in it.
 */
export const notebookToolbarPlugin: JupyterFrontEndPlugin<void> = {
  id: NOTEBOOK_TOOLBAR_PLUGIN_ID,
  description:
    'Configure, Upload and Download in the notebook toolbar; the notebook each run started in, as a checkpoint.',
  autoStart: true,
  requires: [INotebookTracker, ITrackerClient, IDocumentManager],
  optional: [ICommandPalette, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    client: ITrackerClient,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    rendermime: IRenderMimeRegistry | null
  ): void => {
    const { commands } = app;
    const settings = client.serverSettings;
    const executions = new ExecutionHistory({ tracker });
    const checkpoints = new RunCheckpoints();
    new RunStartedWatcher({ tracker, settings, executions, checkpoints });
    if (rendermime) {
      const extension = runStartedExtension(checkpoints);
      rendermime.addFactory(extension.rendererFactory, extension.rank);
    }

    const current = (): NotebookPanel | null => tracker.currentWidget;
    const hasNotebook = (): boolean => current() !== null;

    commands.addCommand(CommandIDs.configure, {
      label: args =>
        Private.isPalette(args) ? 'Configure Tracker…' : 'Configure',
      caption:
        'Configure the tracker: its URL, your API token, the default project and tokens for other machines',
      icon: args => (Private.isPalette(args) ? undefined : settingsIcon),
      execute: () => showConfigureDialog(settings)
    });

    commands.addCommand(CommandIDs.upload, {
      label: args =>
        Private.isPalette(args) ? 'Upload Notebook Checkpoint' : 'Upload',
      caption: 'Save this notebook and store it in the tracker as a checkpoint',
      icon: args => (Private.isPalette(args) ? undefined : fileUploadIcon),
      isEnabled: hasNotebook,
      execute: async () => {
        const panel = current();
        if (panel) {
          await uploadNotebook({ panel, settings, executions, commands });
        }
      }
    });

    commands.addCommand(CommandIDs.download, {
      label: args =>
        Private.isPalette(args) ? 'Download Notebook Checkpoint…' : 'Download',
      caption: 'Open a checkpoint stored in the tracker as a new notebook',
      icon: args => (Private.isPalette(args) ? undefined : downloadIcon),
      execute: async () => {
        const panel = current();
        const context = panel?.context;
        const tracked = context?.model.getMetadata(METADATA_KEY) as
          { notebook_id?: unknown } | undefined;
        await downloadCheckpoint({
          settings,
          contents: app.serviceManager.contents,
          docManager,
          directory: context ? PathExt.dirname(context.path) : '',
          project: await configuredProject(settings),
          path: context?.localPath,
          notebookId:
            typeof tracked?.notebook_id === 'string'
              ? tracked.notebook_id
              : null
        });
      }
    });

    // Upload needs a notebook: keep its enabled state in step with focus.
    tracker.currentChanged.connect(() =>
      commands.notifyCommandChanged(CommandIDs.upload)
    );

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({
          command,
          category: PALETTE_CATEGORY,
          args: { isPalette: true }
        });
      }
    }
  }
};

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Whether a command is shown in the palette (longer labels, no icon).
   */
  export function isPalette(args: ReadonlyPartialJSONObject): boolean {
    return args.isPalette === true;
  }
}
