/**
 * The side panel listing the checkpoints of the current notebook.
 */

import { PathExt } from '@jupyterlab/coreutils';
import { LabIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { CheckpointOrigin, ICheckpoint, IHiddenStateWarning } from '../api';
import { CheckpointHistoryModel } from './historyModel';

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
 * The class of one checkpoint row.
 */
const ITEM_CLASS = 'jp-Tracker-CheckpointItem';

/**
 * The class of a row's checkbox label.
 */
const SELECT_CLASS = 'jp-Tracker-CheckpointItem-select';

/**
 * The class of a row's text column.
 */
const MAIN_CLASS = 'jp-Tracker-CheckpointItem-main';

/**
 * The class of a row's first line (number, description, size).
 */
const HEAD_CLASS = 'jp-Tracker-CheckpointItem-head';

/**
 * The class of the checkpoint number.
 */
const NUMBER_CLASS = 'jp-Tracker-CheckpointItem-number';

/**
 * The class of the description.
 */
const DESCRIPTION_CLASS = 'jp-Tracker-CheckpointItem-description';

/**
 * The class of the size.
 */
const SIZE_CLASS = 'jp-Tracker-CheckpointItem-size';

/**
 * The class of a row's second line (author, time, origin).
 */
const META_CLASS = 'jp-Tracker-CheckpointItem-meta';

/**
 * The class of the author.
 */
const AUTHOR_CLASS = 'jp-Tracker-CheckpointItem-author';

/**
 * The class of the creation time.
 */
const TIME_CLASS = 'jp-Tracker-CheckpointItem-time';

/**
 * The class of the origin label.
 */
const ORIGIN_CLASS = 'jp-Tracker-CheckpointItem-origin';

/**
 * The class of the line listing the runs.
 */
const RUNS_CLASS = 'jp-Tracker-CheckpointItem-runs';

/**
 * The class of one run id.
 */
const RUN_CLASS = 'jp-Tracker-CheckpointItem-run';

/**
 * The class of the hidden-state warning list.
 */
const WARNINGS_CLASS = 'jp-Tracker-CheckpointItem-warnings';

/**
 * The class of one hidden-state warning.
 */
const WARNING_CLASS = 'jp-Tracker-CheckpointItem-warning';

/**
 * The class of a warning's icon.
 */
const WARNING_ICON_CLASS = 'jp-Tracker-CheckpointItem-warningIcon';

/**
 * The class of a warning's message.
 */
const WARNING_MESSAGE_CLASS = 'jp-Tracker-CheckpointItem-warningMessage';

/**
 * The class of the footer with the checkpoint count.
 */
const FOOTER_CLASS = 'jp-Tracker-HistoryPanel-footer';

/**
 * The modifier set while a load is in flight.
 */
const LOADING_MOD = 'jp-mod-loading';

/**
 * The modifier of a selected row.
 */
const SELECTED_MOD = 'jp-mod-selected';

/**
 * The modifier of a row with hidden-state warnings.
 */
const WARNED_MOD = 'jp-mod-warned';

/**
 * A warning triangle; its shape recolours with the theme's warn colour.
 */
export const warningIcon = new LabIcon({
  name: 'jupyter-tracker:warning',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon-warn0" fill="#f57c00" d="M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z"/>
</svg>`
});

/**
 * A size in bytes for people: `812 B`, `4.2 KB`, `1.2 MB`.
 */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

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

    const header = Private.element('div', HEADER_CLASS);
    const title = Private.element('h2', TITLE_CLASS, 'Checkpoints');
    this._refreshButton = Private.element('button', REFRESH_CLASS);
    this._refreshButton.type = 'button';
    this._refreshButton.title = 'Refresh checkpoints';
    this._refreshButton.setAttribute('aria-label', 'Refresh checkpoints');
    this._refreshButton.appendChild(refreshIcon.element({ tag: 'span' }));
    this._refreshButton.addEventListener('click', () => {
      void this._model.refresh();
    });
    header.append(title, this._refreshButton);

    this._notebookLine = Private.element('div', NOTEBOOK_CLASS);

    this._actions = Private.element('div', ACTIONS_CLASS);
    this._compareButton = Private.element('button', BUTTON_CLASS, 'Compare');
    this._compareButton.type = 'button';
    this._compareButton.title = 'Compare the two selected checkpoints';
    this._compareButton.addEventListener('click', () => this._onCompare(2));
    this._editorButton = Private.element(
      'button',
      BUTTON_CLASS,
      'Compare with editor'
    );
    this._editorButton.type = 'button';
    this._editorButton.title =
      'Compare the selected checkpoint with the notebook in the editor';
    this._editorButton.addEventListener('click', () => this._onCompare(1));
    this._actions.append(this._compareButton, this._editorButton);

    this._hint = Private.element('div', HINT_CLASS);
    this._hint.setAttribute('aria-live', 'polite');

    this._error = Private.element('div', ERROR_CLASS);
    this._error.setAttribute('role', 'alert');
    this._error.hidden = true;

    this._empty = Private.element('div', EMPTY_CLASS);
    this._list = Private.element('ul', LIST_CLASS);
    this._list.setAttribute('aria-label', 'Checkpoints');
    this._list.addEventListener('click', this._onListClick);
    this._list.addEventListener('change', this._onListChange);
    const body = Private.element('div', BODY_CLASS);
    body.append(this._empty, this._list);

    this._footer = Private.element('div', FOOTER_CLASS);

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
      this._list.replaceChildren(
        ...model.checkpoints.map(Private.renderCheckpoint)
      );
      if (focused !== null) {
        this._list
          .querySelector<HTMLInputElement>(
            `li[data-number="${focused}"] input[type="checkbox"]`
          )
          ?.focus();
      }
    }
    this._list.hidden = model.checkpoints.length === 0;
    Private.renderSelection(this._list, model.selection);

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
    if (target.closest(`.${SELECT_CLASS}`)) {
      return; // The checkbox handles it.
    }
    const number = Private.rowNumber(target);
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
    const number = Private.rowNumber(input);
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

  /**
   * How each origin is shown.
   */
  export const ORIGIN_LABELS: { [origin in CheckpointOrigin]: string } = {
    upload: 'uploaded',
    editor: 'from the editor',
    disk: 'from disk'
  };
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Create an element with a class and, optionally, text (always set as
   * text, never parsed as HTML).
   */
  export function element<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className: string,
    text?: string
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /**
   * The number of the row holding `node`, or `null`.
   */
  export function rowNumber(node: Element): number | null {
    const row = node.closest<HTMLElement>(`.${ITEM_CLASS}`);
    const value = Number(row?.dataset.number);
    return row && Number.isInteger(value) ? value : null;
  }

  /**
   * The number of the row whose checkbox has the focus, or `null`.
   */
  export function focusedNumber(list: HTMLElement): number | null {
    const active = document.activeElement;
    return active && list.contains(active) ? rowNumber(active) : null;
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
   * Create the row of one checkpoint.
   */
  export function renderCheckpoint(checkpoint: ICheckpoint): HTMLLIElement {
    const item = element('li', ITEM_CLASS);
    item.dataset.number = String(checkpoint.number);
    item.dataset.origin = checkpoint.origin;

    const select = element('label', SELECT_CLASS);
    const checkbox = element('input', '');
    checkbox.type = 'checkbox';
    checkbox.setAttribute(
      'aria-label',
      `Select checkpoint ${checkpoint.number}`
    );
    select.append(checkbox);

    const main = element('div', MAIN_CLASS);

    const head = element('div', HEAD_CLASS);
    const number = element('span', NUMBER_CLASS, `#${checkpoint.number}`);
    number.title = `Checkpoint ${checkpoint.number}`;
    const description = element(
      'span',
      DESCRIPTION_CLASS,
      checkpoint.description || 'No description'
    );
    if (checkpoint.description) {
      description.title = checkpoint.description;
    } else {
      description.classList.add('jp-mod-empty');
    }
    const size = element('span', SIZE_CLASS, formatSize(checkpoint.size));
    size.title = `${checkpoint.size.toLocaleString()} bytes`;
    head.append(number, description, size);

    const meta = element('div', META_CLASS);
    const author = element('span', AUTHOR_CLASS, checkpoint.author);
    const time = element('time', TIME_CLASS, formatDate(checkpoint.created_at));
    time.dateTime = checkpoint.created_at;
    const origin = element(
      'span',
      ORIGIN_CLASS,
      CheckpointHistoryPanel.ORIGIN_LABELS[checkpoint.origin] ??
        checkpoint.origin
    );
    meta.append(author, time, origin);

    main.append(head, meta);

    const runs =
      checkpoint.runs ?? (checkpoint.run_id ? [checkpoint.run_id] : []);
    if (runs.length > 0) {
      const line = element('div', RUNS_CLASS);
      line.append(
        element(
          'span',
          `${RUNS_CLASS}-label`,
          runs.length === 1 ? 'Run' : 'Runs'
        )
      );
      for (const id of runs) {
        line.append(element('span', RUN_CLASS, id));
      }
      main.append(line);
    }

    const warnings = checkpoint.warnings ?? [];
    if (warnings.length > 0) {
      item.classList.add(WARNED_MOD);
      main.append(renderWarnings(warnings));
    }

    item.title = tooltip(checkpoint);
    item.append(select, main);
    return item;
  }

  /**
   * The hidden-state warnings of a checkpoint, each with an icon.
   */
  function renderWarnings(
    warnings: ReadonlyArray<IHiddenStateWarning>
  ): HTMLElement {
    const list = element('ul', WARNINGS_CLASS);
    list.setAttribute('aria-label', 'Hidden-state warnings');
    for (const warning of warnings) {
      const entry = element('li', WARNING_CLASS);
      entry.dataset.kind = warning.kind;
      const icon = warningIcon.element({
        tag: 'span',
        className: WARNING_ICON_CLASS
      });
      icon.setAttribute('aria-hidden', 'true');
      const message = element('span', WARNING_MESSAGE_CLASS, warning.message);
      entry.append(icon, message);
      list.append(entry);
    }
    return list;
  }

  /**
   * Tick the checkboxes and mark the rows of the selection.
   */
  export function renderSelection(
    list: HTMLElement,
    selection: ReadonlyArray<number>
  ): void {
    for (const row of Array.from(
      list.querySelectorAll<HTMLElement>(`.${ITEM_CLASS}`)
    )) {
      const selected = selection.includes(Number(row.dataset.number));
      row.classList.toggle(SELECTED_MOD, selected);
      row.setAttribute('aria-selected', String(selected));
      const checkbox = row.querySelector<HTMLInputElement>(
        'input[type="checkbox"]'
      );
      if (checkbox) {
        checkbox.checked = selected;
      }
    }
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

  /**
   * The hover text of a row.
   */
  function tooltip(checkpoint: ICheckpoint): string {
    const lines = [`Checkpoint ${checkpoint.number} of ${checkpoint.path}`];
    if (checkpoint.description) {
      lines.push(checkpoint.description);
    }
    lines.push(
      `Saved by ${checkpoint.author}, ${formatDate(checkpoint.created_at)}`
    );
    lines.push(`SHA-256: ${checkpoint.sha256}`);
    return lines.join('\n');
  }

  /**
   * A local date and time for an ISO timestamp, or the timestamp itself.
   */
  function formatDate(iso: string): string {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? iso
      : date.toLocaleString(undefined, {
          dateStyle: 'medium',
          timeStyle: 'short'
        });
  }
}
