/**
 * The plugin adding the checkpoint history of the current notebook and the
 * checkpoint diff views.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import type * as nbformat from '@jupyterlab/nbformat';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { historyIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { CheckpointDiffModel } from '../notebooks/diffModel';
import { CheckpointDiffView } from '../notebooks/diffView';
import { CheckpointHistoryModel } from '../notebooks/historyModel';
import { CheckpointHistoryPanel } from '../notebooks/historyPanel';

/**
 * The id of the checkpoint history panel, also its DOM id.
 */
export const HISTORY_PANEL_ID = 'jp-tracker-checkpoint-history';

/**
 * The metadata key holding the tracker's notebook id.
 */
const METADATA_KEY = 'jupyter_tracker';

/**
 * Command ids of the checkpoint history and diffs.
 */
export namespace CommandIDs {
  /**
   * Show the checkpoint history of the current notebook (no arguments).
   */
  export const history = 'jupyter-tracker:checkpoint-history';

  /**
   * Open the diff of two checkpoints, or of one and the editor:
   * `{path, base, remote?, project?}`.
   */
  export const diff = 'jupyter-tracker:diff-checkpoints';
}

/**
 * Adds the checkpoint history panel (right side bar), following the current
 * notebook, and the commands showing it and opening diffs.
 */
export const checkpointHistoryPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-tracker:checkpoint-history',
  description:
    'Shows the checkpoints of the current notebook and diffs them with nbdime.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry, IEditorServices],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    editorServices: IEditorServices,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const serverSettings = app.serviceManager.serverSettings;
    const model = new CheckpointHistoryModel({ serverSettings });
    const panel = new CheckpointHistoryPanel({
      model,
      compare: comparison => {
        void app.commands.execute(CommandIDs.diff, {
          path: comparison.path,
          base: comparison.base,
          remote: comparison.remote,
          project: comparison.project
        });
      }
    });
    panel.id = HISTORY_PANEL_ID;
    panel.title.icon = historyIcon;
    panel.title.caption = 'Checkpoint History';
    panel.disposed.connect(() => model.dispose());
    app.shell.add(panel, 'right', { rank: 700 });
    restorer?.add(panel, HISTORY_PANEL_ID);

    // Follow the current notebook: its path and the id in its metadata.
    let followed: NotebookPanel | null = null;
    const update = () => {
      model.setNotebook(followed ? Private.reference(followed) : null);
    };
    const follow = (widget: NotebookPanel | null) => {
      if (widget === followed) {
        return;
      }
      if (followed) {
        followed.context.pathChanged.disconnect(update);
        followed.context.model.metadataChanged.disconnect(update);
      }
      followed = widget;
      if (widget) {
        widget.context.pathChanged.connect(update);
        widget.context.model.metadataChanged.connect(update);
        void widget.context.ready.then(update);
      }
      update();
    };
    notebooks.currentChanged.connect((_, widget) => follow(widget));
    notebooks.widgetUpdated.connect(update);
    follow(notebooks.currentWidget);

    /**
     * The editor content of the notebook at `path`: an open notebook with
     * that path, else the followed one when its history is of that path.
     */
    const editorContent = (path: string): nbformat.INotebookContent | null => {
      const widget =
        notebooks.find(w => !w.isDisposed && w.context.path === path) ??
        (followed &&
        !followed.isDisposed &&
        model.checkpoints.some(c => c.path === path)
          ? followed
          : null);
      if (!widget) {
        return null;
      }
      return widget.context.model.toJSON() as nbformat.INotebookContent;
    };

    const diffViews = new Map<string, MainAreaWidget<CheckpointDiffView>>();
    let nextId = 0;

    app.commands.addCommand(CommandIDs.history, {
      label: 'Checkpoint History',
      caption: 'Show the checkpoints of the current notebook',
      icon: historyIcon,
      execute: async () => {
        app.shell.activateById(HISTORY_PANEL_ID);
        await model.refresh();
      }
    });

    app.commands.addCommand(CommandIDs.diff, {
      label: args =>
        args.path
          ? CheckpointDiffView.title(Private.request(args))
          : 'Compare Checkpoints',
      caption: 'Open the diff of two checkpoints, or of one and the editor',
      usage:
        'Arguments: path (the notebook path), base (a checkpoint number), ' +
        'remote (another number; absent to compare with the editor), project.',
      execute: async args => {
        let request: CheckpointDiffModel.IRequest;
        try {
          request = Private.request(args);
        } catch (reason) {
          await showErrorMessage('Cannot compare checkpoints', reason as Error);
          return;
        }
        const key = JSON.stringify([
          request.project ?? null,
          request.path,
          request.base,
          request.remote ?? null
        ]);
        const open = diffViews.get(key);
        if (open && !open.isDisposed) {
          if (open.content.model.againstEditor) {
            void open.content.model.load();
          }
          app.shell.activateById(open.id);
          return open;
        }
        const diffModel = new CheckpointDiffModel({
          serverSettings,
          request,
          current: () => editorContent(request.path)
        });
        const view = new CheckpointDiffView({
          model: diffModel,
          rendermime,
          editorFactory: editorServices.factoryService.newInlineEditor
        });
        const widget = CheckpointDiffView.createMainAreaWidget(view);
        widget.id = `jp-tracker-diff-${nextId++}`;
        diffViews.set(key, widget);
        widget.disposed.connect(() => diffViews.delete(key));
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });

    palette?.addItem({ command: CommandIDs.history, category: 'Tracker' });
  }
};

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The history reference of a notebook: its path and metadata id.
   */
  export function reference(
    widget: NotebookPanel
  ): CheckpointHistoryModel.INotebook {
    let notebookId: string | null = null;
    const model = widget.context.model;
    if (model) {
      const metadata = model.getMetadata(METADATA_KEY) as
        { notebook_id?: unknown } | undefined;
      if (metadata && typeof metadata.notebook_id === 'string') {
        notebookId = metadata.notebook_id || null;
      }
    }
    return { path: widget.context.path, notebookId };
  }

  /**
   * Read and check the arguments of the diff command.
   *
   * @throws Error naming the argument at fault.
   */
  export function request(
    args: ReadonlyPartialJSONObject
  ): CheckpointDiffModel.IRequest {
    const path = args.path;
    if (typeof path !== 'string' || !path) {
      throw new Error('The notebook path (argument "path") is missing.');
    }
    const base = checkpointNumber(args.base, 'base');
    if (base === undefined) {
      throw new Error('The base checkpoint (argument "base") is missing.');
    }
    const remote = checkpointNumber(args.remote, 'remote');
    const project =
      typeof args.project === 'string' && args.project
        ? args.project
        : undefined;
    return { path, base, remote, project };
  }

  /**
   * A checkpoint number from a command argument (a number or digits).
   */
  function checkpointNumber(value: unknown, name: string): number | undefined {
    if (value === undefined || value === null || value === '') {
      return undefined;
    }
    const number = typeof value === 'string' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
      throw new Error(
        `Argument "${name}" must be a checkpoint number, not ${JSON.stringify(value)}.`
      );
    }
    return number;
  }
}
