/**
 * The diff of two checkpoints of a notebook (or of one and the editor),
 * rendered with nbdime's widgets in the main area.
 */

import { MainAreaWidget } from '@jupyterlab/apputils';
import { CodeEditor } from '@jupyterlab/codeeditor';
import { PathExt } from '@jupyterlab/coreutils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { refreshIcon, ToolbarButton } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';
import type { IDiffEntry } from 'nbdime/lib/diff/diffentries';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';
import { NotebookDiffWidget } from 'nbdime/lib/diff/widget';

import { INotebookDiffReply } from '../api';
import {
  DIFF_HEADER_CLASS,
  DIFF_SUMMARISED_CLASS,
  renderDiffHeader,
  renderSummarisedNote
} from './diffHeader';
import { CheckpointDiffModel } from './diffModel';
import { element } from './dom';

/**
 * The class of the diff view's root node.
 */
const VIEW_CLASS = 'jp-Tracker-DiffView';

/**
 * The class of the loading, error and "no changes" messages.
 */
const STATUS_CLASS = 'jp-Tracker-DiffView-status';

/**
 * The class of the scrolling panel holding nbdime's widget.
 */
const BODY_CLASS = 'jp-Tracker-DiffView-body';

/**
 * The class nbdime's styles are scoped to.
 */
const NBDIME_ROOT_CLASS = 'nbdime-root';

/**
 * The class that hides the cells without changes.
 */
const HIDE_UNCHANGED_CLASS = 'jp-mod-hideUnchanged';

/**
 * The class of the marker standing for a stretch of hidden unchanged cells.
 */
const UNCHANGED_MARKER_CLASS = 'jp-Tracker-DiffView-unchangedMarker';

/**
 * The class of the "Changed cells only / All cells" switch.
 */
const TOGGLE_CLASS = 'jp-Tracker-DiffView-toggle';

/**
 * nbdime's classes of one cell's diff, and of a cell without changes.
 */
const CELL_DIFF_CLASS = 'jp-Cell-diff';
const UNCHANGED_CELL_CLASS = 'jp-Diff-unchanged';

/**
 * Renders a {@link CheckpointDiffModel}: which checkpoints are compared, the
 * outputs compared by hash, and nbdime's notebook diff, with the cells
 * without changes hidden or shown.
 *
 * Outputs and markdown go through the rendermime registry untrusted, so they
 * are sanitized; everything else from the notebooks is set as text.
 */
export class CheckpointDiffView extends Panel {
  /**
   * Create a view of a model; it loads the model at once.
   */
  constructor(options: CheckpointDiffView.IOptions) {
    super();
    this.addClass(VIEW_CLASS);
    this._model = options.model;
    this._rendermime = options.rendermime;
    this._editorFactory = options.editorFactory;

    this._header = new Widget();
    this._header.addClass(DIFF_HEADER_CLASS);
    this._summarised = new Widget();
    this._summarised.addClass(DIFF_SUMMARISED_CLASS);
    this._summarised.hide();
    this._status = new Widget();
    this._status.addClass(STATUS_CLASS);
    this._body = new Panel();
    this._body.addClass(NBDIME_ROOT_CLASS);
    this._body.addClass(BODY_CLASS);
    this._body.node.tabIndex = 0;
    this._body.node.setAttribute('aria-label', 'Notebook diff');

    this.addWidget(this._header);
    this.addWidget(this._summarised);
    this.addWidget(this._status);
    this.addWidget(this._body);

    this.hideUnchanged = options.hideUnchanged ?? true;
    this._model.changed.connect(this._onModelChanged, this);
    this._onModelChanged();
    void this._model.load();
  }

  /**
   * The model rendered.
   */
  get model(): CheckpointDiffModel {
    return this._model;
  }

  /**
   * Whether the cells without changes are hidden.
   */
  get hideUnchanged(): boolean {
    return this._hideUnchanged;
  }
  set hideUnchanged(value: boolean) {
    if (value === this._hideUnchanged) {
      return;
    }
    this._hideUnchanged = value;
    this._body.toggleClass(HIDE_UNCHANGED_CLASS, value);
    this._hideUnchangedChanged.emit(value);
  }

  /**
   * Emitted when {@link hideUnchanged} changes.
   */
  get hideUnchangedChanged(): ISignal<this, boolean> {
    return this._hideUnchangedChanged;
  }

  /**
   * A promise settled once the first diff is rendered (or has failed).
   */
  get ready(): Promise<void> {
    return this._ready.promise;
  }

  /**
   * Dispose the view and its model.
   */
  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._onModelChanged, this);
    this._model.dispose();
    this._ready.resolve();
    super.dispose();
  }

  /**
   * Render the model's state; a new reply replaces nbdime's widget.
   */
  private _onModelChanged(): void {
    const model = this._model;
    this.node.setAttribute('aria-busy', String(model.loading));
    if (model.loading) {
      Private.setStatus(this._status, 'Computing the diff…', false);
      return;
    }
    if (model.error !== null) {
      Private.setStatus(this._status, model.error, true);
      this._ready.resolve();
      return;
    }
    const reply = model.reply;
    if (reply && reply !== this._renderedReply) {
      this._renderedReply = reply;
      void this._render(reply);
    }
  }

  /**
   * Render a reply: header, summarised outputs, then nbdime's widget.
   */
  private async _render(reply: INotebookDiffReply): Promise<void> {
    renderDiffHeader(this._header.node, reply, this._model.request);
    renderSummarisedNote(this._summarised.node, reply.summarised ?? []);
    this._summarised.setHidden((reply.summarised ?? []).length === 0);

    for (const widget of [...this._body.widgets]) {
      widget.dispose();
    }
    try {
      const diffModel = new NotebookDiffModel(
        reply.base,
        reply.diff as IDiffEntry[]
      );
      const widget = new NotebookDiffWidget({
        model: diffModel,
        rendermime: this._rendermime,
        editorFactory: this._editorFactory
      });
      this._body.addWidget(widget);
      await widget.init();
      if (widget.isDisposed) {
        return;
      }
      const changed = Private.markUnchanged(widget, () => {
        this.hideUnchanged = false;
      });
      if (changed === 0 && reply.diff.length === 0) {
        Private.setStatus(this._status, 'No changes.', false);
      } else {
        this._status.hide();
      }
    } catch (reason) {
      Private.setStatus(
        this._status,
        `The diff could not be shown: ${reason instanceof Error ? reason.message : String(reason)}`,
        true
      );
    } finally {
      this._ready.resolve();
    }
  }

  private _model: CheckpointDiffModel;
  private _rendermime: IRenderMimeRegistry;
  private _editorFactory: CodeEditor.Factory | undefined;
  private _header: Widget;
  private _summarised: Widget;
  private _status: Widget;
  private _body: Panel;
  private _hideUnchanged = false;
  private _renderedReply: INotebookDiffReply | null = null;
  private _ready = new Private.Deferred();
  private _hideUnchangedChanged = new Signal<this, boolean>(this);
}

/**
 * The namespace for `CheckpointDiffView` statics.
 */
export namespace CheckpointDiffView {
  /**
   * Options to create a view.
   */
  export interface IOptions {
    /**
     * The model to render; the view disposes it.
     */
    model: CheckpointDiffModel;
    /**
     * Lab's rendermime registry (outputs are rendered untrusted).
     */
    rendermime: IRenderMimeRegistry;
    /**
     * Lab's editor factory, for the side-by-side sources.
     */
    editorFactory?: CodeEditor.Factory;
    /**
     * Whether to start with the cells without changes hidden; yes by
     * default.
     */
    hideUnchanged?: boolean;
  }

  /**
   * The title of a diff, e.g. "train.ipynb: checkpoint 1 ↔ 2".
   */
  export function title(request: CheckpointDiffModel.IRequest): string {
    const name = PathExt.basename(request.path);
    const remote =
      request.remote === undefined ? 'editor' : String(request.remote);
    return `${name}: checkpoint ${request.base} ↔ ${remote}`;
  }

  /**
   * Wrap a view in a main-area widget with a title and a toolbar: the
   * "Changed cells only / All cells" switch and, against the editor, a
   * reload button.
   */
  export function createMainAreaWidget(
    view: CheckpointDiffView
  ): MainAreaWidget<CheckpointDiffView> {
    const widget = new MainAreaWidget({ content: view });
    const request = view.model.request;
    widget.title.label = title(request);
    widget.title.caption = [
      `Diff of ${request.path}`,
      request.project ? `Project: ${request.project}` : '',
      request.remote === undefined
        ? `Checkpoint ${request.base} with the editor's content`
        : `Checkpoint ${request.base} with checkpoint ${request.remote}`
    ]
      .filter(Boolean)
      .join('\n');
    widget.title.closable = true;
    widget.toolbar.addItem('unchanged', Private.createToggle(view));
    if (view.model.againstEditor) {
      widget.toolbar.addItem(
        'reload',
        new ToolbarButton({
          icon: refreshIcon,
          label: 'Compare again',
          tooltip: "Compare the checkpoint with the editor's content now",
          onClick: () => void view.model.load()
        })
      );
    }
    return widget;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A promise with its resolve function at hand.
   */
  export class Deferred {
    constructor() {
      this.promise = new Promise<void>(resolve => {
        this.resolve = resolve;
      });
    }
    readonly promise: Promise<void>;
    resolve: () => void = () => undefined;
  }

  /**
   * Show a message in the status line.
   */
  export function setStatus(
    widget: Widget,
    message: string,
    isError: boolean
  ): void {
    widget.node.textContent = message;
    widget.node.setAttribute('role', isError ? 'alert' : 'status');
    widget.toggleClass('jp-mod-error', isError);
    widget.show();
  }

  /**
   * Put a marker before each stretch of cells without changes (shown only
   * while they are hidden), and count the cells with changes.
   */
  export function markUnchanged(
    widget: NotebookDiffWidget,
    showAll: () => void
  ): number {
    let changed = 0;
    const stretches: Array<{ first: Widget; count: number }> = [];
    let current: { first: Widget; count: number } | null = null;
    for (const child of [...widget.widgets]) {
      const isCell = child.hasClass(CELL_DIFF_CLASS);
      const unchanged = isCell && child.hasClass(UNCHANGED_CELL_CLASS);
      if (unchanged) {
        if (current) {
          current.count += 1;
        } else {
          current = { first: child, count: 1 };
          stretches.push(current);
        }
        continue;
      }
      current = null;
      if (isCell || child.node.querySelector(`.${CELL_DIFF_CLASS}`)) {
        changed += 1;
      }
    }
    for (const stretch of stretches) {
      const marker = new Widget({ node: element('button', '') });
      marker.addClass(UNCHANGED_MARKER_CLASS);
      const button = marker.node as HTMLButtonElement;
      button.type = 'button';
      button.textContent = `${stretch.count} unchanged ${stretch.count === 1 ? 'cell' : 'cells'} hidden`;
      button.title = 'Show all cells';
      button.addEventListener('click', showAll);
      widget.insertWidget(widget.widgets.indexOf(stretch.first), marker);
    }
    return changed;
  }

  /**
   * The "Changed cells only / All cells" switch: two buttons, the active
   * one pressed.
   */
  export function createToggle(view: CheckpointDiffView): Widget {
    const widget = new Widget();
    widget.addClass(TOGGLE_CLASS);
    widget.node.setAttribute('role', 'group');
    widget.node.setAttribute('aria-label', 'Cells shown');
    const changedOnly = element(
      'button',
      `${TOGGLE_CLASS}-button`,
      'Changed cells only'
    );
    const all = element('button', `${TOGGLE_CLASS}-button`, 'All cells');
    changedOnly.type = 'button';
    all.type = 'button';
    const update = () => {
      changedOnly.setAttribute('aria-pressed', String(view.hideUnchanged));
      all.setAttribute('aria-pressed', String(!view.hideUnchanged));
    };
    changedOnly.addEventListener('click', () => {
      view.hideUnchanged = true;
    });
    all.addEventListener('click', () => {
      view.hideUnchanged = false;
    });
    view.hideUnchangedChanged.connect(update);
    update();
    widget.node.append(changedOnly, all);
    return widget;
  }
}
