/**
 * The state behind the Download dialog: the projects, notebooks and
 * checkpoints to choose from, and the choice. It does all the fetching; the
 * dialog only renders.
 */

import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ICheckpoint,
  INotebookSummary,
  listCheckpoints,
  listNotebooks,
  listProjects
} from '../api';
/**
 * The checkpoint chosen in the dialog.
 */
export interface ICheckpointChoice {
  project: string;
  path: string;
  number: number;
}

/**
 * The projects, notebooks and checkpoints to choose from, and the choice.
 */
export class DownloadModel {
  /**
   * Create a model; `project` and `path` are preselected when they exist.
   */
  constructor(options: DownloadModel.IOptions) {
    this._settings = options.settings;
    this.project = options.project ?? '';
    this.path = options.path ?? '';
    this._notebookId = options.notebookId ?? null;
  }

  /**
   * Emits when the lists or the choice changed.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The chosen project.
   */
  project: string;

  /**
   * The chosen notebook path.
   */
  path: string;

  /**
   * The chosen checkpoint number, 0 for none.
   */
  number = 0;

  /**
   * The project names.
   */
  projects: string[] = [];

  /**
   * The chosen project's notebooks.
   */
  notebooks: INotebookSummary[] = [];

  /**
   * The chosen notebook's checkpoints, newest first.
   */
  checkpoints: ICheckpoint[] = [];

  /**
   * Whether a load is in flight.
   */
  loading = false;

  /**
   * Why the last load failed, if it did.
   */
  error: string | null = null;

  /**
   * The choice, once a checkpoint is chosen.
   */
  get choice(): ICheckpointChoice | null {
    return this.number > 0 && this.path
      ? { project: this.project, path: this.path, number: this.number }
      : null;
  }

  /**
   * Load the projects, then the rest.
   */
  async load(): Promise<void> {
    await this._run(async () => {
      this.projects = (await listProjects(this._settings)).map(p => p.name);
      if (!this.projects.includes(this.project)) {
        this.project = this.projects[0] ?? '';
      }
      await this._loadNotebooks();
    });
  }

  /**
   * Choose a project and load its notebooks.
   */
  async chooseProject(project: string): Promise<void> {
    this.project = project;
    this._notebookId = null;
    await this._run(() => this._loadNotebooks());
  }

  /**
   * Choose a notebook and load its checkpoints.
   */
  async chooseNotebook(path: string): Promise<void> {
    this.path = path;
    await this._run(() => this._loadCheckpoints());
  }

  /**
   * Choose a checkpoint.
   */
  chooseCheckpoint(number: number): void {
    this.number = number;
    this._changed.emit();
  }

  /**
   * Load the notebooks, keeping the chosen one (or the current notebook's
   * entry, found by id) when it is there.
   */
  private async _loadNotebooks(): Promise<void> {
    this.notebooks = this.project
      ? await listNotebooks(this._settings, this.project)
      : [];
    const byId = this._notebookId
      ? this.notebooks.find(n => n.notebook_id === this._notebookId)
      : undefined;
    const byPath = this.notebooks.find(n => n.path === this.path);
    this.path = (byId ?? byPath ?? this.notebooks[0])?.path ?? '';
    await this._loadCheckpoints();
  }

  /**
   * Load the checkpoints of the chosen notebook and choose the newest.
   */
  private async _loadCheckpoints(): Promise<void> {
    this.checkpoints = this.path
      ? await listCheckpoints(this._settings, {
          project: this.project,
          path: this.path
        })
      : [];
    this.number = this.checkpoints[0]?.number ?? 0;
  }

  /**
   * Run a load, tracking its state; a newer load wins over an older one.
   */
  private async _run(load: () => Promise<void>): Promise<void> {
    const ticket = ++this._ticket;
    this.loading = true;
    this.error = null;
    this._changed.emit();
    try {
      await load();
    } catch (error) {
      if (ticket === this._ticket) {
        this.error = error instanceof Error ? error.message : String(error);
      }
    }
    if (ticket === this._ticket) {
      this.loading = false;
      this._changed.emit();
    }
  }

  private _changed = new Signal<this, void>(this);
  private _notebookId: string | null;
  private _settings: ServerConnection.ISettings;
  private _ticket = 0;
}

/**
 * The namespace for `DownloadModel` statics.
 */
export namespace DownloadModel {
  /**
   * Options to create a model.
   */
  export interface IOptions {
    settings: ServerConnection.ISettings;
    /**
     * The project to preselect.
     */
    project?: string;
    /**
     * The notebook path to preselect.
     */
    path?: string;
    /**
     * The id of the notebook to preselect (wins over the path).
     */
    notebookId?: string | null;
  }
}
