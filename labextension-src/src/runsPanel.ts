/**
 * The side panel listing the runs of a project.
 */

import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RunsModel } from './runsModel';
import { IRun } from './tokens';

/**
 * The class of the panel's root node.
 */
const PANEL_CLASS = 'jp-Tracker-RunsPanel';

/**
 * The class of the header holding the title and the refresh button.
 */
const HEADER_CLASS = 'jp-Tracker-RunsPanel-header';

/**
 * The class of the header title.
 */
const TITLE_CLASS = 'jp-Tracker-RunsPanel-title';

/**
 * The class of the project label in the header.
 */
const PROJECT_CLASS = 'jp-Tracker-RunsPanel-project';

/**
 * The class of the refresh button.
 */
const REFRESH_CLASS = 'jp-Tracker-RunsPanel-refresh';

/**
 * The class of the scrolling body.
 */
const BODY_CLASS = 'jp-Tracker-RunsPanel-body';

/**
 * The class of the error banner.
 */
const ERROR_CLASS = 'jp-Tracker-RunsPanel-error';

/**
 * The class of the error banner's title.
 */
const ERROR_TITLE_CLASS = 'jp-Tracker-RunsPanel-errorTitle';

/**
 * The class of the error banner's message.
 */
const ERROR_MESSAGE_CLASS = 'jp-Tracker-RunsPanel-errorMessage';

/**
 * The class of the message shown while nothing is loaded or nothing exists.
 */
const EMPTY_CLASS = 'jp-Tracker-EmptyState';

/**
 * The class of the run list.
 */
const LIST_CLASS = 'jp-Tracker-RunList';

/**
 * The class of one run row.
 */
const ITEM_CLASS = 'jp-Tracker-RunItem';

/**
 * The class of the state dot of a row.
 */
const DOT_CLASS = 'jp-Tracker-StateDot';

/**
 * The class of the run id in a row.
 */
const ID_CLASS = 'jp-Tracker-RunItem-id';

/**
 * The class of the run name in a row.
 */
const NAME_CLASS = 'jp-Tracker-RunItem-name';

/**
 * The class of the state label in a row.
 */
const STATE_CLASS = 'jp-Tracker-RunItem-state';

/**
 * The class of the footer with the run count.
 */
const FOOTER_CLASS = 'jp-Tracker-RunsPanel-footer';

/**
 * The modifier set while a load is in flight.
 */
const LOADING_MOD = 'jp-mod-loading';

/**
 * The code shown in the empty state to log a first run.
 */
const FIRST_RUN_SNIPPET =
  'import jupyter_tracker as tracker; tracker.init(); tracker.create_experiment(...)';

/**
 * A panel listing the runs of a {@link RunsModel}.
 *
 * It renders the model and asks it to refresh; it never fetches. While the
 * panel is visible the model refreshes periodically.
 */
export class RunsPanel extends Widget {
  /**
   * Create a panel.
   */
  constructor(options: RunsPanel.IOptions) {
    super();
    this.addClass(PANEL_CLASS);
    this._model = options.model;

    const header = Private.element('div', HEADER_CLASS);
    const title = Private.element('h2', TITLE_CLASS, 'Runs');
    this._project = Private.element('span', PROJECT_CLASS);
    this._refreshButton = Private.element('button', REFRESH_CLASS);
    this._refreshButton.type = 'button';
    this._refreshButton.title = 'Refresh runs';
    this._refreshButton.setAttribute('aria-label', 'Refresh runs');
    this._refreshButton.appendChild(refreshIcon.element({ tag: 'span' }));
    this._refreshButton.addEventListener('click', () => {
      void this._model.refresh();
    });
    header.append(title, this._project, this._refreshButton);

    this._error = Private.element('div', ERROR_CLASS);
    this._error.setAttribute('role', 'alert');
    this._error.hidden = true;

    this._empty = Private.element('div', EMPTY_CLASS);
    this._list = Private.element('ul', LIST_CLASS);
    this._list.setAttribute('aria-label', 'Runs');
    const body = Private.element('div', BODY_CLASS);
    body.append(this._empty, this._list);

    this._footer = Private.element('div', FOOTER_CLASS);

    this.node.append(header, this._error, body, this._footer);

    this._model.changed.connect(this._render, this);
    this._model.projectChanged.connect(this._renderProject, this);
    this._renderProject();
    this._render();
  }

  /**
   * The model rendered by the panel.
   */
  get model(): RunsModel {
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
    this._model.projectChanged.disconnect(this._renderProject, this);
    this._model.stopPolling();
    super.dispose();
  }

  /**
   * Start refreshing when attached visible (e.g. restored open).
   */
  protected override onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._model.startPolling();
    }
  }

  /**
   * Stop refreshing when detached.
   */
  protected override onBeforeDetach(msg: Message): void {
    this._model.stopPolling();
    super.onBeforeDetach(msg);
  }

  /**
   * Refresh now and periodically while shown.
   */
  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.startPolling();
  }

  /**
   * Stop refreshing while hidden.
   */
  protected override onBeforeHide(msg: Message): void {
    this._model.stopPolling();
    super.onBeforeHide(msg);
  }

  /**
   * Show which project is listed.
   */
  private _renderProject(): void {
    const project = this._model.project;
    this._project.textContent = project;
    this._project.title = project ? `Project: ${project}` : '';
  }

  /**
   * Bring the DOM in line with the model.
   */
  private _render(): void {
    const model = this._model;

    this.toggleClass(LOADING_MOD, model.loading);
    this.node.setAttribute('aria-busy', String(model.loading));
    this._refreshButton.disabled = model.loading;

    if (model.error !== this._renderedError) {
      this._renderedError = model.error;
      Private.renderError(this._error, model.error);
    }

    if (model.runs !== this._renderedRuns) {
      this._renderedRuns = model.runs;
      this._list.replaceChildren(...model.runs.map(Private.renderRun));
    }
    this._list.hidden = model.runs.length === 0;

    Private.renderEmptyState(this._empty, model);

    const shown = model.runs.length;
    this._footer.hidden = shown === 0;
    this._footer.textContent =
      shown < model.total
        ? `Newest ${shown} of ${model.total} runs`
        : `${shown} ${shown === 1 ? 'run' : 'runs'}`;
  }

  private _model: RunsModel;
  private _project: HTMLElement;
  private _refreshButton: HTMLButtonElement;
  private _error: HTMLElement;
  private _empty: HTMLElement;
  private _list: HTMLElement;
  private _footer: HTMLElement;
  private _renderedRuns: ReadonlyArray<IRun> | null = null;
  private _renderedError: string | null = null;
}

/**
 * The namespace for `RunsPanel` statics.
 */
export namespace RunsPanel {
  /**
   * Options to create a panel.
   */
  export interface IOptions {
    /**
     * The model to render.
     */
    model: RunsModel;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Create an element with a class and, optionally, text.
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
   * Fill the error banner with a message, or hide it.
   */
  export function renderError(node: HTMLElement, message: string | null): void {
    node.hidden = message === null;
    if (message === null) {
      node.replaceChildren();
      return;
    }
    node.replaceChildren(
      element('div', ERROR_TITLE_CLASS, 'Could not load runs'),
      element('div', ERROR_MESSAGE_CLASS, message)
    );
  }

  /**
   * Create the row of one run.
   */
  export function renderRun(run: IRun): HTMLLIElement {
    const item = element('li', ITEM_CLASS);
    item.dataset.runId = run.id;
    item.dataset.state = run.state;
    item.title = tooltip(run);

    const dot = element('span', `${DOT_CLASS} jp-mod-${run.state}`);
    dot.setAttribute('aria-hidden', 'true');
    const id = element('span', ID_CLASS, run.id);
    const name = element('span', NAME_CLASS, run.name || 'unnamed');
    if (!run.name) {
      name.classList.add('jp-mod-unnamed');
    }
    const state = element('span', STATE_CLASS, run.state);

    item.append(dot, id, name, state);
    return item;
  }

  /**
   * Fill the message shown instead of the list, or hide it.
   */
  export function renderEmptyState(node: HTMLElement, model: RunsModel): void {
    if (model.runs.length > 0 || model.error !== null) {
      // Rows are shown, or the error banner explains why there are none.
      node.hidden = true;
      node.replaceChildren();
      return;
    }
    node.hidden = false;
    if (!model.loaded) {
      node.replaceChildren(element('p', '', 'Loading runs…'));
      return;
    }
    const hint = element(
      'p',
      'jp-Tracker-EmptyState-hint',
      'Log one from a notebook:'
    );
    const code = element(
      'code',
      'jp-Tracker-EmptyState-code',
      FIRST_RUN_SNIPPET
    );
    node.replaceChildren(
      element('p', 'jp-Tracker-EmptyState-title', 'No runs yet…'),
      hint,
      code
    );
  }

  /**
   * The hover text of a row.
   */
  function tooltip(run: IRun): string {
    const lines = [`${run.id}${run.name ? ` · ${run.name}` : ''}`];
    lines.push(`State: ${run.state}`);
    lines.push(`Created: ${formatDate(run.created_at)}`);
    if (run.finished_at) {
      lines.push(`Finished: ${formatDate(run.finished_at)}`);
    }
    if (run.owner) {
      lines.push(`Owner: ${run.owner}`);
    }
    if (run.tags && run.tags.length) {
      lines.push(`Tags: ${run.tags.join(', ')}`);
    }
    return lines.join('\n');
  }

  /**
   * A local date and time for an ISO timestamp, or the timestamp itself.
   */
  function formatDate(iso: string): string {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  }
}
