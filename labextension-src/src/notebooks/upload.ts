/**
 * Upload: store the current notebook as a new checkpoint.
 */

import { InputDialog, Notification } from '@jupyterlab/apputils';
import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import type { CommandRegistry } from '@lumino/commands';
import { UUID } from '@lumino/coreutils';

import { getConfig, ICheckpoint, uploadCheckpoint } from '../api';
import { ExecutionHistory } from './executions';

/**
 * The notebook metadata key holding the tracker's data.
 */
export const METADATA_KEY = 'jupyter_tracker';

/**
 * The command showing the current notebook's checkpoint history.
 */
export const HISTORY_COMMAND = 'jupyter-tracker:checkpoint-history';

/**
 * Give the notebook an id in its metadata, unless it has a valid one.
 *
 * The id lets the tracker follow the notebook through renames and moves.
 *
 * @returns Whether an id was added (the model is then dirty).
 */
export function ensureNotebookId(model: INotebookModel): boolean {
  const current: unknown = model.getMetadata(METADATA_KEY);
  const existing =
    current && typeof current === 'object' && !Array.isArray(current)
      ? (current as { [key: string]: unknown })
      : {};
  const id = existing['notebook_id'];
  if (typeof id === 'string' && Private.UUID_PATTERN.test(id)) {
    return false;
  }
  model.setMetadata(METADATA_KEY, { ...existing, notebook_id: UUID.uuid4() });
  return true;
}

/**
 * The default project chosen in Configure, or `undefined` to let the server
 * use its own default (when the settings cannot be read).
 */
export async function configuredProject(
  settings: ServerConnection.ISettings
): Promise<string | undefined> {
  try {
    const config = await getConfig(settings);
    return config.project || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A byte count for people: `812 B`, `4.2 KB`, `51.3 MB`.
 */
export function formatSize(bytes: number): string {
  if (bytes < 1000) {
    return `${bytes} B`;
  }
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Save the panel's notebook, ask for a description and store it as a new
 * checkpoint, telling the user in a notification.
 *
 * @returns The checkpoint, or `null` when the user cancelled or it failed
 *   (the notification says why).
 */
export async function uploadNotebook(
  options: UploadNotebook.IOptions
): Promise<ICheckpoint | null> {
  const { panel, settings, executions, commands } = options;
  const context = panel.context;
  await context.ready;
  await context.save();

  const answer = await InputDialog.getText({
    title: 'Upload checkpoint',
    label: `Description of this version of ${context.localPath} (optional)`,
    placeholder: 'What changed?',
    okLabel: 'Upload'
  });
  if (!answer.button.accept) {
    return null;
  }
  const model = context.model;
  if (ensureNotebookId(model)) {
    await context.save();
  }

  const path = context.localPath;
  const notebook = model.toJSON() as nbformat.INotebookContent;
  const size = Private.byteLength(notebook);
  const pending =
    size >= Private.PROGRESS_THRESHOLD
      ? Notification.emit(
          `Uploading ${path} (${formatSize(size)})…`,
          'in-progress',
          { autoClose: false }
        )
      : null;
  try {
    const checkpoint = await uploadCheckpoint(settings, notebook, {
      project: await configuredProject(settings),
      path,
      description: (answer.value ?? '').trim() || undefined,
      origin: 'upload',
      history: executions.history(panel)
    });
    const unchanged = checkpoint.created === false;
    // A new notification rather than an update of the pending one: Lab
    // shows no toast for an update that comes before the first toast drew.
    Private.dismiss(pending);
    Notification.emit(
      unchanged
        ? `${path} unchanged since checkpoint ${checkpoint.number}`
        : `Checkpoint ${checkpoint.number} of ${path} stored`,
      unchanged ? 'info' : 'success',
      {
        autoClose: 8000,
        actions: commands.hasCommand(HISTORY_COMMAND)
          ? [
              {
                label: 'Show history',
                caption: `Show the checkpoints of ${path}`,
                callback: () => {
                  void commands.execute(HISTORY_COMMAND);
                }
              }
            ]
          : []
      }
    );
    return checkpoint;
  } catch (error) {
    Private.dismiss(pending);
    Notification.error(
      `Upload of ${path} failed: ${Private.messageOf(error)}`,
      { autoClose: false }
    );
    return null;
  }
}

/**
 * The namespace for `uploadNotebook` options.
 */
export namespace UploadNotebook {
  /**
   * What an upload needs.
   */
  export interface IOptions {
    /**
     * The notebook to upload.
     */
    panel: NotebookPanel;
    /**
     * The server connection settings.
     */
    settings: ServerConnection.ISettings;
    /**
     * What the notebook ran in this session.
     */
    executions: ExecutionHistory;
    /**
     * The app's commands, to open the history from the notification.
     */
    commands: CommandRegistry;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A UUID in its canonical text form.
   */
  export const UUID_PATTERN =
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  /**
   * From this size on (bytes), a notification shows while the upload runs.
   */
  export const PROGRESS_THRESHOLD = 1_000_000;

  /**
   * Dismiss a notification, if there is one.
   */
  export function dismiss(id: string | null): void {
    if (id !== null) {
      Notification.dismiss(id);
    }
  }

  /**
   * The size in bytes of a value as UTF-8 JSON.
   */
  export function byteLength(value: unknown): number {
    return new Blob([JSON.stringify(value)]).size;
  }

  /**
   * The message of an error, whatever was thrown.
   */
  export function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }
}
