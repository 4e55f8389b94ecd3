/**
 * Download: open a stored checkpoint as a new notebook beside the current
 * one, never overwriting a file.
 */

import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type * as nbformat from '@jupyterlab/nbformat';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { getCheckpointContent, TrackerApiError } from '../api';
import { DownloadModel, ICheckpointChoice } from './downloadModel';
import { METADATA_KEY } from './upload';

/**
 * The class of the dialog body.
 */
const BODY_CLASS = 'jp-Tracker-Download';

/**
 * The class of the checkpoint table.
 */
const TABLE_CLASS = 'jp-Tracker-Download-checkpoints';

/**
 * The class of a checkpoint row.
 */
const ROW_CLASS = 'jp-Tracker-Download-checkpoint';

/**
 * The class of the message shown instead of the table.
 */
const MESSAGE_CLASS = 'jp-Tracker-Download-message';

/**
 * The modifier of a failed load's message (not `jp-mod-error`, which
 * disables the dialog's accept button).
 */
const FAILED_MOD = 'jp-mod-failed';

/**
 * The modifier of the selected row.
 */
const SELECTED_MOD = 'jp-mod-selected';

/**
 * The body of the Download dialog: project and notebook pickers and a table
 * of checkpoints.
 */
export class DownloadBody
  extends Widget
  implements Dialog.IBodyWidget<ICheckpointChoice | null>
{
  /**
   * Create the body.
   */
  constructor(options: DownloadBody.IOptions) {
    super();
    this.addClass(BODY_CLASS);
    this._model = options.model;
    this._project = Private.select('Project');
    this._notebook = Private.select('Notebook');
    this._project.addEventListener('change', () => {
      void this._model.chooseProject(this._project.value);
    });
    this._notebook.addEventListener('change', () => {
      void this._model.chooseNotebook(this._notebook.value);
    });
    this._table = document.createElement('table');
    this._table.className = TABLE_CLASS;
    this._table.setAttribute('aria-label', 'Checkpoints');
    this._message = document.createElement('div');
    this._message.className = MESSAGE_CLASS;
    this._message.setAttribute('role', 'status');
    const pickers = document.createElement('div');
    pickers.className = 'jp-Tracker-Download-pickers';
    pickers.append(
      Private.labelled('Project', this._project),
      Private.labelled('Notebook', this._notebook)
    );
    const scroller = document.createElement('div');
    scroller.className = 'jp-Tracker-Download-scroller';
    scroller.append(this._table);
    this.node.append(pickers, this._message, scroller);
    this._model.changed.connect(this._render, this);
    this._render();
  }

  /**
   * The chosen checkpoint.
   */
  getValue(): ICheckpointChoice | null {
    return this._model.choice;
  }

  /**
   * Render the model.
   */
  private _render(): void {
    const model = this._model;
    this.node.setAttribute('aria-busy', String(model.loading));
    Private.fill(
      this._project,
      model.projects.map(name => [name, name]),
      model.project
    );
    Private.fill(
      this._notebook,
      model.notebooks.map(n => [n.path, `${n.path} (${n.checkpoints})`]),
      model.path
    );
    if (model.error) {
      this._message.textContent = model.error;
      this._message.classList.add(FAILED_MOD);
    } else {
      this._message.classList.remove(FAILED_MOD);
      this._message.textContent = model.loading
        ? 'Loading…'
        : model.notebooks.length === 0
          ? `No notebook of project ${model.project || '(none)'} has checkpoints yet.`
          : '';
    }
    this._renderTable();
  }

  /**
   * One row per checkpoint: number, date, author, description, runs.
   */
  private _renderTable(): void {
    const model = this._model;
    const head = document.createElement('thead');
    const headRow = document.createElement('tr');
    for (const title of ['', '#', 'Date', 'Author', 'Description', 'Runs']) {
      const cell = document.createElement('th');
      cell.textContent = title;
      headRow.append(cell);
    }
    head.append(headRow);
    const body = document.createElement('tbody');
    for (const checkpoint of model.checkpoints) {
      const row = document.createElement('tr');
      row.className = ROW_CLASS;
      row.dataset.number = String(checkpoint.number);
      const selected = checkpoint.number === model.number;
      row.classList.toggle(SELECTED_MOD, selected);
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = 'jp-Tracker-Download-checkpoint';
      radio.checked = selected;
      radio.setAttribute('aria-label', `Checkpoint ${checkpoint.number}`);
      radio.addEventListener('change', () =>
        model.chooseCheckpoint(checkpoint.number)
      );
      row.addEventListener('click', () =>
        model.chooseCheckpoint(checkpoint.number)
      );
      const runs = checkpoint.runs?.length ?? (checkpoint.run_id ? 1 : 0);
      row.append(
        Private.cell(radio),
        Private.cell(String(checkpoint.number)),
        Private.cell(Private.dateTime(checkpoint.created_at)),
        Private.cell(checkpoint.author),
        Private.cell(checkpoint.description || '—'),
        Private.cell(runs === 1 ? '1 run' : `${runs} runs`)
      );
      body.append(row);
    }
    this._table.replaceChildren(head, body);
    this._table.hidden = model.checkpoints.length === 0;
  }

  private _message: HTMLElement;
  private _model: DownloadModel;
  private _notebook: HTMLSelectElement;
  private _project: HTMLSelectElement;
  private _table: HTMLTableElement;
}

/**
 * The namespace for `DownloadBody` statics.
 */
export namespace DownloadBody {
  /**
   * Options to create the body.
   */
  export interface IOptions {
    model: DownloadModel;
  }
}

/**
 * Ask which checkpoint to download, then open it as a new notebook beside
 * `directory`: `<stem>@<number>.ipynb`, or `<stem>@<number>-1.ipynb` and so
 * on when that name is taken.
 *
 * @returns The path of the new file, or `null` if nothing was opened.
 */
export async function downloadCheckpoint(
  options: DownloadCheckpoint.IOptions
): Promise<string | null> {
  const { settings, contents, docManager } = options;
  const model = new DownloadModel({
    settings,
    project: options.project,
    path: options.path,
    notebookId: options.notebookId
  });
  const loaded = model.load();
  const result = await showDialog({
    title: 'Download checkpoint',
    body: new DownloadBody({ model }),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Open' })]
  });
  await loaded;
  const choice = result.button.accept ? result.value : null;
  if (!choice) {
    return null;
  }
  try {
    const content = await getCheckpointContent(settings, choice);
    Private.forgetIdentity(content, choice);
    const stem = PathExt.basename(choice.path, PathExt.extname(choice.path));
    const target = await Private.freePath(
      contents,
      options.directory,
      `${stem}@${choice.number}`
    );
    await contents.save(target, {
      type: 'notebook',
      format: 'json',
      content
    });
    docManager.openOrReveal(target);
    return target;
  } catch (error) {
    const message =
      error instanceof TrackerApiError || error instanceof Error
        ? error.message
        : String(error);
    Notification.error(
      `Checkpoint ${choice.number} of ${choice.path} not opened: ${message}`,
      { autoClose: false }
    );
    return null;
  }
}

/**
 * The namespace for `downloadCheckpoint` options.
 */
export namespace DownloadCheckpoint {
  /**
   * What a download needs.
   */
  export interface IOptions {
    settings: ServerConnection.ISettings;
    /**
     * The contents manager that writes the new file.
     */
    contents: Contents.IManager;
    /**
     * Opens the new file.
     */
    docManager: IDocumentManager;
    /**
     * The folder (contents path) where the new file goes.
     */
    directory: string;
    /**
     * The project to preselect.
     */
    project?: string;
    /**
     * The notebook to preselect (relative to the Jupyter root).
     */
    path?: string;
    /**
     * The id of the notebook to preselect.
     */
    notebookId?: string | null;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A select with an accessible name.
   */
  export function select(label: string): HTMLSelectElement {
    const node = document.createElement('select');
    node.setAttribute('aria-label', label);
    return node;
  }

  /**
   * A label above a control.
   */
  export function labelled(text: string, control: HTMLElement): HTMLElement {
    const node = document.createElement('label');
    node.className = 'jp-Tracker-Download-field';
    const title = document.createElement('span');
    title.textContent = text;
    node.append(title, control);
    return node;
  }

  /**
   * Replace a select's options and select a value.
   */
  export function fill(
    node: HTMLSelectElement,
    options: Array<[string, string]>,
    value: string
  ): void {
    node.replaceChildren(
      ...options.map(([optionValue, text]) => {
        const option = document.createElement('option');
        option.value = optionValue;
        option.textContent = text;
        return option;
      })
    );
    node.value = value;
    node.disabled = options.length === 0;
  }

  /**
   * A table cell holding text or a node.
   */
  export function cell(content: string | HTMLElement): HTMLTableCellElement {
    const node = document.createElement('td');
    if (typeof content === 'string') {
      node.textContent = content;
    } else {
      node.append(content);
    }
    return node;
  }

  /**
   * A date and time for people, in their locale.
   */
  export function dateTime(iso: string): string {
    const value = new Date(iso);
    return Number.isNaN(value.getTime())
      ? iso
      : value.toLocaleString(undefined, {
          dateStyle: 'medium',
          timeStyle: 'short'
        });
  }

  /**
   * Make the copy a notebook of its own: drop the original's id (so an
   * upload of the copy never moves the original's history) and say where
   * it came from.
   */
  export function forgetIdentity(
    content: nbformat.INotebookContent,
    choice: ICheckpointChoice
  ): void {
    const metadata = content.metadata as { [key: string]: unknown };
    const current = metadata[METADATA_KEY];
    const tracker =
      current && typeof current === 'object' && !Array.isArray(current)
        ? { ...(current as { [key: string]: unknown }) }
        : {};
    delete tracker['notebook_id'];
    tracker['downloaded_from'] = { ...choice };
    metadata[METADATA_KEY] = tracker;
  }

  /**
   * The first free path among `<dir>/<base>.ipynb`, `<dir>/<base>-1.ipynb`,
   * ... (asked of the contents manager, so nothing is overwritten).
   */
  export async function freePath(
    contents: Contents.IManager,
    directory: string,
    base: string
  ): Promise<string> {
    for (let suffix = 0; suffix < 1000; suffix++) {
      const name = suffix === 0 ? `${base}.ipynb` : `${base}-${suffix}.ipynb`;
      const path = PathExt.join(directory, name);
      if (!(await exists(contents, path))) {
        return path;
      }
    }
    throw new Error(`every name like ${base}-N.ipynb is taken`);
  }

  /**
   * Whether a file exists.
   */
  async function exists(
    contents: Contents.IManager,
    path: string
  ): Promise<boolean> {
    try {
      await contents.get(path, { content: false });
      return true;
    } catch (error) {
      const status = (error as { response?: { status?: number } }).response
        ?.status;
      if (status === 404) {
        return false;
      }
      throw error;
    }
  }
}
