/**
 * The plugin adding the Runs panel to the left side bar.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { getDefaultProject } from '../api';

import { runsIcon } from '../icons';
import { RunsModel } from '../runsModel';
import { RunsPanel } from '../runsPanel';
import { ITrackerClient } from '../tokens';

/**
 * The id of the Runs panel, also its DOM id.
 */
export const RUNS_PANEL_ID = 'jp-tracker-runs';

/**
 * Command ids of the Runs panel.
 */
export namespace CommandIDs {
  /**
   * Reveal the Runs panel.
   */
  export const show = 'jupyter-tracker:show-runs';

  /**
   * Reload the runs shown in the panel.
   */
  export const refresh = 'jupyter-tracker:refresh-runs';
}

/**
 * The palette category of the tracker's commands.
 */
const PALETTE_CATEGORY = 'Tracker';

/**
 * Adds the Runs panel, listing the runs of the default project (the one the
 * tracker settings name, else the server's), to the left area, with commands
 * to show and refresh it, also in the palette under "Tracker".
 */
export const runsSidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-tracker:runs-sidebar',
  description: 'Adds the Runs panel to the left side bar.',
  autoStart: true,
  requires: [ITrackerClient],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    client: ITrackerClient,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const model = new RunsModel({
      client,
      project: getDefaultProject(client.serverSettings)
    });
    const panel = new RunsPanel({ model });
    panel.id = RUNS_PANEL_ID;
    // Like the other side bar tabs, the tab shows the icon; the caption is
    // its tooltip and accessible name.
    panel.title.icon = runsIcon;
    panel.title.caption = 'Runs';
    panel.disposed.connect(() => model.dispose());

    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, RUNS_PANEL_ID);

    app.commands.addCommand(CommandIDs.show, {
      label: 'Show Runs',
      caption: 'Show the Runs panel',
      icon: runsIcon,
      execute: () => app.shell.activateById(RUNS_PANEL_ID)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Runs',
      caption: 'Reload the runs shown in the Runs panel',
      execute: () => model.refresh()
    });

    if (palette) {
      for (const command of [CommandIDs.show, CommandIDs.refresh]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }
  }
};
