/**
 * The side panel listing the checkpoints of the current notebook.
 */

import { PathExt } from '@jupyterlab/coreutils';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ICheckpoint } from '../api';
import { element } from './dom';
import { CheckpointHistoryModel } from './historyModel';
import {
  CHECKPOINT_SELECT_CLASS,
  checkpointRowNumber,
  renderCheckpointRow,
  renderRowSelection
} from './historyRow';

/**
 * The class of the panel's root node.
 */
const PANEL_CLASS = 'jp-Tracker-HistoryPanel';

/**
 * The class of the header holding the title and the refresh button.
 */
const HEADER_CLASS = 'jp-Tracker-HistoryPanel-header';

/**
 * The class of the header title.
 */
const TITLE_CLASS = 'jp-Tracker-HistoryPanel-title';

/**
 * The class of the refresh button.
 */
const REFRESH_CLASS = 'jp-Tracker-HistoryPanel-refresh';

/**
 * The class of the line naming the notebook and the project.
 */
const NOTEBOOK_CLASS = 'jp-Tracker-HistoryPanel-notebook';

/**
 * The class of the bar holding the compare buttons.
 */
const ACTIONS_CLASS = 'jp-Tracker-HistoryPanel-actions';

/**
 * The class of the compare buttons.
 */
const BUTTON_CLASS = 'jp-Tracker-HistoryPanel-button';

/**
 * The class of the line telling what the selection compares.
 */
const HINT_CLASS = 'jp-Tracker-HistoryPanel-hint';

/**
 * The class of the scrolling body.
 */
const BODY_CLASS = 'jp-Tracker-HistoryPanel-body';

/**
 * The class of the error banner.
 */
const ERROR_CLASS = 'jp-Tracker-HistoryPanel-error';

/**
 * The class of the error banner's title.
 */
const ERROR_TITLE_CLASS = 'jp-Tracker-HistoryPanel-errorTitle';

/**
 * The class of the error banner's message.
 */
const ERROR_MESSAGE_CLASS = 'jp-Tracker-HistoryPanel-errorMessage';

/**
 * The class of the message shown while nothing is loaded or nothing exists.
 */
const EMPTY_CLASS = 'jp-Tracker-EmptyState';

/**
 * The class of the checkpoint list.
 */
const LIST_CLASS = 'jp-Tracker-CheckpointList';

/**
 * The class of the footer with the checkpoint count.
 */
const FOOTER_CLASS = 'jp-Tracker-HistoryPanel-footer';

/**
 * The modifier set while a load is in flight.
 */
const LOADING_MOD = 'jp-mod-loading';

/**
 * A panel listing the checkpoints of a {@link CheckpointHistoryModel}.
 *
 * Rows are selected with their checkbox (Tab and Space reach them), by a
 * click (one row) or a Ctrl/Cmd-click (one more row). "Compare" diffs the two
 * selected checkpoints, "Compare with editor" the selected one with what the
 * editor holds; both go through {@link CheckpointHistoryPanel.IOptions.compare}.
 * The panel never fetches.
 */
export class CheckpointHistoryPanel extends Widget {
  /**
   * Create a panel.
   */
  constructor(options: CheckpointHistoryPanel.IOptions) {
    super();
    this.addClass(PANEL_CLASS);
    this._model = options.model;
    this._compare = options.compare;

    const header = element('div', HEADER_CLASS);
    const title = element('h2', TITLE_CLASS, 'Checkpoints');
    this._refreshButton = element('button', REFRESH_CLASS);
    this._refreshButton.type = 'button';
    this._refreshButton.title = 'Refresh checkpoints';
    this._refreshButton.setAttribute('aria-label', 'Refresh checkpoints');
    this._refreshButton.appendChild(refreshIcon.element({ tag: 'span' }));
    this._refreshButton.addEventListener('click', () => {
      void this._model.refresh();
    });
    header.append(title, this._refreshButton);

    this._notebookLine = element('div', NOTEBOOK_CLASS);

    this._actions = element('div', ACTIONS_CLASS);
    this._compareButton = element('button', BUTTON_CLASS, 'Compare');
    this._compareButton.type = 'button';
    this._compareButton.title = 'Compare the two selected checkpoints';
    this._compareButton.addEventListener('click', () => this._onCompare(2));
    this._editorButton = element('button', BUTTON_CLASS, 'Compare with editor');
    this._editorButton.type = 'button';
    this._editorButton.title =
      'Compare the selected checkpoint with the notebook in the editor';
    this._editorButton.addEventListener('click', () => this._onCompare(1));
    this._actions.append(this._compareButton, this._editorButton);

    this._hint = element('div', HINT_CLASS);
    this._hint.setAttribute('aria-live', 'polite');

    this._error = element('div', ERROR_CLASS);
    this._error.setAttribute('role', 'alert');
    this._error.hidden = true;

    this._empty = element('div', EMPTY_CLASS);
    this._list = element('ul', LIST_CLASS);
    this._list.setAttribute('aria-label', 'Checkpoints');
    this._list.addEventListener('click', this._onListClick);
    this._list.addEventListener('change', this._onListChange);
    const body = element('div', BODY_CLASS);
    body.append(this._empty, this._list);

    this._footer = element('div', FOOTER_CLASS);

    this.node.append(
      header,
      this._notebookLine,
      this._actions,
      this._hint,
      this._error,
      body,
      this._footer
    );

    this._model.changed.connect(this._render, this);
    this._render();
  }

  /**
   * The model rendered by the panel.
   */
  get model(): CheckpointHistoryModel {
    return this._model;
  }

  /**
   * Dispose the panel; the model is left to its owner.
   */
  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  /**
   * Reload when the panel is shown, so it never shows a stale history.
   */
  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.refresh();
  }

  /**
   * Move the focus into the panel when it is activated from the keyboard.
   */
  protected override onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const target =
      this._list.querySelector<HTMLInputElement>('input[type="checkbox"]') ??
      this._refreshButton;
    target.focus();
  }

  /**
   * Bring the DOM in line with the model.
   */
  private _render(): void {
    const model = this._model;

    this.toggleClass(LOADING_MOD, model.loading);
    this.node.setAttribute('aria-busy', String(model.loading));
    this._refreshButton.disabled = model.loading || !model.notebook;

    Private.renderNotebookLine(this._notebookLine, model);

    if (model.error !== this._renderedError) {
      this._renderedError = model.error;
      Private.renderError(this._error, model.error);
    }

    if (model.checkpoints !== this._renderedCheckpoints) {
      this._renderedCheckpoints = model.checkpoints;
      const focused = Private.focusedNumber(this._list);
      this._list.replaceChildren(...model.checkpoints.map(renderCheckpointRow));
      if (focused !== null) {
        this._list
          .querySelector<HTMLInputElement>(
            `li[data-number="${focused}"] input[type="checkbox"]`
          )
          ?.focus();
      }
    }
    this._list.hidden = model.checkpoints.length === 0;
    renderRowSelection(this._list, model.selection);

    Private.renderEmptyState(this._empty, model);

    const count = model.selection.length;
    this._compareButton.disabled = count !== 2;
    this._editorButton.disabled = count !== 1;
    this._actions.hidden = model.checkpoints.length === 0;
    this._hint.hidden = model.checkpoints.length === 0;
    this._hint.textContent = Private.hint(model);

    const shown = model.checkpoints.length;
    this._footer.hidden = shown === 0;
    this._footer.textContent = `${shown} ${shown === 1 ? 'checkpoint' : 'checkpoints'}`;
  }

  /**
   * Ask for the diff of the selection (`count` checkpoints: two, or one
   * against the editor).
   */
  private _onCompare(count: 1 | 2): void {
    const comparison = this._model.comparison;
    if (!comparison || this._model.selection.length !== count) {
      return;
    }
    this._compare(comparison);
  }

  /**
   * A click on a row, outside its checkbox: select that row only, or add it
   * (Ctrl/Cmd-click).
   */
  private _onListClick = (event: MouseEvent): void => {
    const target = event.target as HTMLElement;
    if (target.closest(`.${CHECKPOINT_SELECT_CLASS}`)) {
      return; // The checkbox handles it.
    }
    const number = checkpointRowNumber(target);
    if (number === null) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.shiftKey) {
      this._model.toggleSelected(number);
    } else {
      this._model.selectOnly(number);
    }
  };

  /**
   * A checkbox flipped (by mouse or keyboard).
   */
  private _onListChange = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const number = checkpointRowNumber(input);
    if (number !== null) {
      this._model.setSelected(number, input.checked);
    }
  };

  private _model: CheckpointHistoryModel;
  private _compare: (comparison: CheckpointHistoryModel.IComparison) => void;
  private _refreshButton: HTMLButtonElement;
  private _notebookLine: HTMLElement;
  private _actions: HTMLElement;
  private _compareButton: HTMLButtonElement;
  private _editorButton: HTMLButtonElement;
  private _hint: HTMLElement;
  private _error: HTMLElement;
  private _empty: HTMLElement;
  private _list: HTMLElement;
  private _footer: HTMLElement;
  private _renderedCheckpoints: ReadonlyArray<ICheckpoint> | null = null;
  private _renderedError: string | null = null;
}

/**
 * The namespace for `CheckpointHistoryPanel` statics.
 */
export namespace CheckpointHistoryPanel {
  /**
   * Options to create a panel.
   */
  export interface IOptions {
    /**
     * The model to render.
     */
    model: CheckpointHistoryModel;
    /**
     * Opens the diff of a comparison (two checkpoints, or one and the
     * editor when `remote` is absent).
     */
    compare: (comparison: CheckpointHistoryModel.IComparison) => void;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The number of the row whose checkbox has the focus, or `null`.
   */
  export function focusedNumber(list: HTMLElement): number | null {
    const active = document.activeElement;
    return active && list.contains(active) ? checkpointRowNumber(active) : null;
  }

  /**
   * Name the notebook (and the project) the history belongs to.
   */
  export function renderNotebookLine(
    node: HTMLElement,
    model: CheckpointHistoryModel
  ): void {
    const notebook = model.notebook;
    node.hidden = notebook === null;
    if (!notebook) {
      node.replaceChildren();
      return;
    }
    const name = element('span', `${NOTEBOOK_CLASS}-name`);
    name.textContent = PathExt.basename(notebook.path);
    const lines = [`Notebook: ${notebook.path}`];
    const children: HTMLElement[] = [name];
    if (model.project) {
      lines.push(`Project: ${model.project}`);
      children.push(
        element('span', `${NOTEBOOK_CLASS}-project`, model.project)
      );
    }
    node.title = lines.join('\n');
    node.replaceChildren(...children);
  }

  /**
   * Fill the error banner with a message, or hide it.
   */
  export function renderError(node: HTMLElement, message: string | null): void {
    node.hidden = message === null;
    if (message === null) {
      node.replaceChildren();
      return;
    }
    node.replaceChildren(
      element('div', ERROR_TITLE_CLASS, 'Could not load the checkpoints'),
      element('div', ERROR_MESSAGE_CLASS, message)
    );
  }

  /**
   * Fill the message shown instead of the list, or hide it.
   */
  export function renderEmptyState(
    node: HTMLElement,
    model: CheckpointHistoryModel
  ): void {
    if (model.checkpoints.length > 0 || model.error !== null) {
      node.hidden = true;
      node.replaceChildren();
      return;
    }
    node.hidden = false;
    if (!model.notebook) {
      node.replaceChildren(
        element('p', 'jp-Tracker-EmptyState-title', 'No notebook'),
        element(
          'p',
          'jp-Tracker-EmptyState-hint',
          'Open a notebook to see its checkpoints.'
        )
      );
      return;
    }
    if (!model.loaded) {
      node.replaceChildren(element('p', '', 'Loading checkpoints…'));
      return;
    }
    node.replaceChildren(
      element('p', 'jp-Tracker-EmptyState-title', 'No checkpoints yet'),
      element(
        'p',
        'jp-Tracker-EmptyState-hint',
        `Upload ${PathExt.basename(model.notebook.path)} from the notebook toolbar to keep a checkpoint of it.`
      )
    );
  }

  /**
   * What the selection compares, or how to select.
   */
  export function hint(model: CheckpointHistoryModel): string {
    const comparison = model.comparison;
    if (!comparison) {
      return 'Select two checkpoints to compare, or one to compare with the editor.';
    }
    if (comparison.remote === undefined) {
      return `Checkpoint ${comparison.base} selected: compare it with the editor, or select one more.`;
    }
    return `Checkpoints ${comparison.base} and ${comparison.remote} selected.`;
  }
}
