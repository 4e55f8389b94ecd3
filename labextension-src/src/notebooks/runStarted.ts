/**
 * The notebook a run ran: when a run starts in a notebook's kernel, store the
 * notebook as it is in the editor at that moment (unsaved edits included) as
 * a checkpoint linked to the run.
 *
 * The kernel-side client announces a new run with display data of
 * {@link RUN_MIME_TYPE}. The watcher here sees it on the kernel's iopub
 * channel and uploads the live model; the renderer shows the announcement as
 * one line in the cell's output, completed with the checkpoint number once
 * the upload answers.
 */

import type * as nbformat from '@jupyterlab/nbformat';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { KernelMessage, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { ICheckpoint, uploadCheckpoint } from '../api';
import { warningIcon } from '../icons';
import { element } from './dom';
import { ExecutionHistory } from './executions';
import { SignalListener } from './listener';
import { ensureNotebookId } from './upload';

/**
 * The mimetype of the kernel's "a run started here" announcement.
 */
export const RUN_MIME_TYPE = 'application/vnd.jupyter.tracker.run+json';

/**
 * The class of the rendered announcement.
 */
const NOTE_CLASS = 'jp-Tracker-RunStarted';

/**
 * The class of the run id in the announcement.
 */
const RUN_ID_CLASS = 'jp-Tracker-RunStarted-id';

/**
 * The class of the checkpoint part of the announcement.
 */
const CHECKPOINT_CLASS = 'jp-Tracker-RunStarted-checkpoint';

/**
 * The class of the list of the checkpoint's hidden-state warnings.
 */
const WARNINGS_CLASS = 'jp-Tracker-RunStarted-warnings';

/**
 * The class of one hidden-state warning.
 */
const WARNING_CLASS = 'jp-Tracker-RunStarted-warning';

/**
 * The modifier set when the checkpoint could not be stored.
 */
const ERROR_MOD = 'jp-mod-error';

/**
 * What the kernel announces when a run starts.
 */
export interface IRunStarted {
  /**
   * The run id, e.g. `SAN-4`.
   */
  run_id: string;
  /**
   * The run's project.
   */
  project: string;
  /**
   * The notebook path the kernel knows (relative to the Jupyter root).
   */
  path?: string | null;
  /**
   * The id of the cell whose execution created the run.
   */
  cell_id?: string | null;
  /**
   * The execution count of that execution.
   */
  execution_count?: number | null;
}

/**
 * Read an announcement from display data, or `null` if it is not one.
 */
export function parseRunStarted(data: unknown): IRunStarted | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return null;
  }
  const value = data as { [key: string]: unknown };
  if (typeof value.run_id !== 'string' || typeof value.project !== 'string') {
    return null;
  }
  return {
    run_id: value.run_id,
    project: value.project,
    path: typeof value.path === 'string' ? value.path : null,
    cell_id: typeof value.cell_id === 'string' ? value.cell_id : null,
    execution_count:
      typeof value.execution_count === 'number' &&
      Number.isInteger(value.execution_count)
        ? value.execution_count
        : null
  };
}

/**
 * The checkpoints stored for runs started in this browser session, shared by
 * the watcher (which stores them) and the renderers (which show them).
 */
export class RunCheckpoints {
  /**
   * Emits the id of a run whose checkpoint state changed.
   */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  /**
   * The checkpoint state of a run; `undefined` if no upload was seen.
   */
  get(runId: string): RunCheckpoints.IState | undefined {
    return this._states.get(runId);
  }

  /**
   * Set the checkpoint state of a run.
   */
  set(runId: string, state: RunCheckpoints.IState): void {
    this._states.set(runId, state);
    this._changed.emit(runId);
  }

  private _changed = new Signal<this, string>(this);
  private _states = new Map<string, RunCheckpoints.IState>();
}

/**
 * The namespace for `RunCheckpoints` statics.
 */
export namespace RunCheckpoints {
  /**
   * Where the checkpoint of a run stands.
   */
  export interface IState {
    /**
     * `storing` while the upload is in flight.
     */
    status: 'storing' | 'stored' | 'failed';
    /**
     * The stored checkpoint.
     */
    checkpoint?: ICheckpoint;
    /**
     * Why it failed.
     */
    error?: string;
  }
}

/**
 * Watches the kernels of every notebook for run announcements and uploads
 * the live notebook for each, linked to the run.
 */
export class RunStartedWatcher extends SignalListener {
  /**
   * Start watching.
   */
  constructor(options: RunStartedWatcher.IOptions) {
    super();
    this._settings = options.settings;
    this._executions = options.executions;
    this._checkpoints = options.checkpoints;
    options.tracker.widgetAdded.connect((_, panel) => this._watch(panel), this);
    options.tracker.forEach(panel => this._watch(panel));
  }

  /**
   * Listen to a panel's kernel messages.
   */
  private _watch(panel: NotebookPanel): void {
    panel.sessionContext.iopubMessage.connect((_, message) => {
      this._onMessage(panel, message);
    }, this);
  }

  /**
   * Upload the notebook when its own request announced a run.
   */
  private _onMessage(
    panel: NotebookPanel,
    message: KernelMessage.IMessage
  ): void {
    if (message.header.msg_type !== 'display_data') {
      return;
    }
    const content = (message as KernelMessage.IDisplayDataMsg).content;
    const run = parseRunStarted(content.data[RUN_MIME_TYPE]);
    if (!run) {
      return;
    }
    // iopub carries every client's messages: only react to runs this
    // notebook's own executions started.
    const kernel = panel.sessionContext.session?.kernel;
    const parent = message.parent_header as Partial<KernelMessage.IHeader>;
    if (!kernel || parent.session !== kernel.clientId) {
      return;
    }
    if (this._checkpoints.get(run.run_id)) {
      return;
    }
    void this._upload(panel, run);
  }

  /**
   * Store the live model as the run's checkpoint.
   */
  private async _upload(panel: NotebookPanel, run: IRunStarted): Promise<void> {
    const runId = run.run_id;
    this._checkpoints.set(runId, { status: 'storing' });
    try {
      const model = panel.context.model;
      ensureNotebookId(model);
      const history = this._executions.history(panel);
      const count = run.execution_count ?? undefined;
      const cellId = run.cell_id ?? undefined;
      if (count !== undefined && cellId !== undefined) {
        // The running cell has not finished, so it is not in the history
        // yet; it ran the source it had when it was scheduled.
        const source = this._executions.scheduledSource(panel, cellId);
        if (source !== undefined && !history.some(([n]) => n === count)) {
          history.push([count, source]);
        }
      }
      const checkpoint = await uploadCheckpoint(
        this._settings,
        model.toJSON() as nbformat.INotebookContent,
        {
          project: run.project,
          path: panel.context.localPath,
          runId,
          origin: 'editor',
          cellId,
          executionCount: count,
          history
        }
      );
      this._checkpoints.set(runId, { status: 'stored', checkpoint });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.warn(`Checkpoint of run ${runId} not stored: ${message}`);
      this._checkpoints.set(runId, { status: 'failed', error: message });
    }
  }

  private _checkpoints: RunCheckpoints;
  private _executions: ExecutionHistory;
  private _settings: ServerConnection.ISettings;
}

/**
 * The namespace for `RunStartedWatcher` statics.
 */
export namespace RunStartedWatcher {
  /**
   * Options to create a watcher.
   */
  export interface IOptions {
    /**
     * The notebooks to watch.
     */
    tracker: INotebookTracker;
    /**
     * The server connection settings.
     */
    settings: ServerConnection.ISettings;
    /**
     * What each notebook ran in this session.
     */
    executions: ExecutionHistory;
    /**
     * Where to record the checkpoints stored.
     */
    checkpoints: RunCheckpoints;
  }
}

/**
 * Renders a run announcement as one inert line: "Run SAN-4 started in
 * project sandbox · checkpoint 3", followed by the checkpoint's hidden-state
 * warnings ("cell 2 ran before cell 1"), if it has any, one per line.
 */
export class RunStartedRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  /**
   * Create a renderer.
   */
  constructor(options: RunStartedRenderer.IOptions) {
    super();
    this.addClass(NOTE_CLASS);
    this._checkpoints = options.checkpoints;
    this._checkpoints.changed.connect(this._onChanged, this);
  }

  /**
   * Render the announcement.
   */
  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._run = parseRunStarted(model.data[RUN_MIME_TYPE]);
    this._render();
    return Promise.resolve();
  }

  /**
   * Stop following checkpoint changes.
   */
  override dispose(): void {
    this._checkpoints.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  /**
   * Re-render when this run's checkpoint changed.
   */
  private _onChanged(_: RunCheckpoints, runId: string): void {
    if (this._run?.run_id === runId) {
      this._render();
    }
  }

  /**
   * Write the line; text only, so nothing in it is interpreted.
   */
  private _render(): void {
    const node = this.node;
    node.replaceChildren();
    node.classList.remove(ERROR_MOD);
    const run = this._run;
    if (!run) {
      node.textContent = 'A run started (its details are unreadable).';
      delete node.dataset.runId;
      return;
    }
    node.dataset.runId = run.run_id;
    const id = document.createElement('span');
    id.className = RUN_ID_CLASS;
    id.textContent = run.run_id;
    node.append('Run ', id, ` started in project ${run.project}`);

    const state = this._checkpoints.get(run.run_id);
    const checkpoint = document.createElement('span');
    checkpoint.className = CHECKPOINT_CLASS;
    if (state?.status === 'stored' && state.checkpoint) {
      checkpoint.textContent = ` · checkpoint ${state.checkpoint.number}`;
      node.dataset.checkpoint = String(state.checkpoint.number);
    } else if (state?.status === 'failed') {
      checkpoint.textContent = ` · checkpoint not stored: ${state.error}`;
      node.classList.add(ERROR_MOD);
      delete node.dataset.checkpoint;
    } else {
      delete node.dataset.checkpoint;
    }
    node.append(checkpoint);

    const warnings =
      state?.status === 'stored' ? (state.checkpoint?.warnings ?? []) : [];
    if (warnings.length) {
      node.append(Private.warningList(warnings));
    }
  }

  private _checkpoints: RunCheckpoints;
  private _run: IRunStarted | null = null;
}

/**
 * The namespace for `RunStartedRenderer` statics.
 */
export namespace RunStartedRenderer {
  /**
   * Options to create a renderer.
   */
  export interface IOptions {
    /**
     * The checkpoints stored for runs, to complete the line.
     */
    checkpoints: RunCheckpoints;
  }
}

/**
 * The mime renderer extension of run announcements (rank 0, so it wins over
 * the announcement's `text/plain` line; safe, since it renders text only).
 */
export function runStartedExtension(
  checkpoints: RunCheckpoints
): IRenderMime.IExtension {
  return {
    id: 'jupyter-tracker:run-started-renderer',
    description: 'Renders "a run started here" notes in notebook outputs.',
    rank: 0,
    rendererFactory: {
      safe: true,
      mimeTypes: [RUN_MIME_TYPE],
      defaultRank: 0,
      createRenderer: () => new RunStartedRenderer({ checkpoints })
    }
  };
}

/**
 * The module-private helpers.
 */
namespace Private {
  /**
   * The hidden-state warnings as an inert list, one line each with the
   * warning icon.
   */
  export function warningList(
    warnings: ICheckpoint['warnings']
  ): HTMLUListElement {
    const list = element('ul', WARNINGS_CLASS);
    list.setAttribute('aria-label', 'Hidden-state warnings');
    for (const warning of warnings) {
      const item = element('li', WARNING_CLASS);
      item.dataset.kind = warning.kind;
      const icon = warningIcon.element({ tag: 'span' });
      icon.setAttribute('aria-hidden', 'true');
      item.append(icon, element('span', '', warning.message));
      list.append(item);
    }
    return list;
  }
}
