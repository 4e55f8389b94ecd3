/**
 * The tokens section of the Configure dialog: the user's API tokens, a form
 * to create one (its secret shown once) and Revoke buttons, except on the
 * token this server gives its own kernels.
 */

import { Clipboard } from '@jupyterlab/apputils';

import { IApiToken, INewApiToken, KERNELS_TOKEN_NAME } from '../api';
import { ConfigureModel } from './configureModel';
import { input, option } from './dom';

/**
 * The class of the tokens section.
 */
const TOKENS_CLASS = 'jp-Tracker-Tokens';

/**
 * The class of the help text (shared with the settings form).
 */
const HINT_CLASS = 'jp-Tracker-Configure-hint';

/**
 * The class of the status line (shared with the settings form).
 */
const STATUS_CLASS = 'jp-Tracker-Configure-status';

/**
 * The class of the token list.
 */
const TOKEN_LIST_CLASS = 'jp-Tracker-Tokens-list';

/**
 * The class of one token row.
 */
const TOKEN_ITEM_CLASS = 'jp-Tracker-Tokens-item';

/**
 * The class of the row of the token this server gives its kernels.
 */
const KERNELS_ITEM_CLASS = 'jp-Tracker-Tokens-kernelsItem';

/**
 * The class of the note shown in that row instead of a Revoke button.
 */
const KERNELS_NOTE_CLASS = 'jp-Tracker-Tokens-kernelsNote';

/**
 * The class of the box showing a new token's secret.
 */
const SECRET_CLASS = 'jp-Tracker-Tokens-secret';

/**
 * The modifier of a failed status line. Not `jp-mod-error`: a dialog
 * disables its accept button while any element inside has that class.
 */
const ERROR_MOD = 'jp-mod-failed';

/**
 * The section listing, creating and revoking API tokens. It renders a
 * {@link ConfigureModel} and never fetches; the body holding it calls
 * {@link render} when the model changes.
 */
export class TokensSection {
  /**
   * Create the section.
   */
  constructor(options: TokensSection.IOptions) {
    this._model = options.model;

    const section = document.createElement('section');
    section.className = TOKENS_CLASS;
    section.setAttribute('aria-label', 'API tokens');
    const title = document.createElement('h3');
    title.textContent = 'API tokens for other machines';
    const help = document.createElement('p');
    help.className = HINT_CLASS;
    help.textContent =
      'A script or another computer logs runs here with a token: set ' +
      'JUPYTER_TRACKER_API_TOKEN there.';

    this._list = document.createElement('ul');
    this._list.className = TOKEN_LIST_CLASS;
    this._list.setAttribute('aria-label', 'API tokens');

    this._name = input('text', 'jp-Tracker-Tokens-name');
    this._name.placeholder = 'Token name, e.g. gpu-box';
    this._name.setAttribute('aria-label', 'New token name');
    this._scope = document.createElement('select');
    this._scope.className = 'jp-Tracker-Tokens-scope';
    this._scope.setAttribute('aria-label', 'Projects the token can use');
    const create = document.createElement('button');
    create.type = 'button';
    create.className = 'jp-Button jp-mod-styled jp-mod-reject';
    create.textContent = 'Create token';
    create.addEventListener('click', () => void this.createToken());
    const form = document.createElement('div');
    form.className = 'jp-Tracker-Tokens-create';
    form.append(this._name, this._scope, create);

    this._secret = document.createElement('div');
    this._secret.className = SECRET_CLASS;
    this._secret.hidden = true;
    this._status = document.createElement('div');
    this._status.className = STATUS_CLASS;
    this._status.setAttribute('role', 'status');

    section.append(title, help, this._list, form, this._secret, this._status);
    this.node = section;
  }

  /**
   * The section's root node.
   */
  readonly node: HTMLElement;

  /**
   * Whether the focus is in the section (Enter creates a token there).
   */
  get hasFocus(): boolean {
    return this.node.contains(document.activeElement);
  }

  /**
   * Create a token from the name typed in the section.
   */
  async createToken(): Promise<void> {
    const name = this._name.value.trim();
    if (!name) {
      this._name.focus();
      this._setStatus('Name the token first (e.g. the machine).', true);
      return;
    }
    const scope = this._scope.value;
    try {
      const token = await this._model.createToken(name, scope ? [scope] : null);
      this._name.value = '';
      this._showSecret(token);
      this._setStatus('', false);
    } catch (error) {
      this._setStatus(Private.messageOf(error), true);
    }
  }

  /**
   * Rebuild what depends on the model's lists: scope options, token rows.
   */
  render(): void {
    this._renderScope();
    this._renderTokens();
  }

  /**
   * Offer "all projects" or one project as a new token's scope.
   */
  private _renderScope(): void {
    const chosen = this._scope.value;
    this._scope.replaceChildren(
      option('', 'All my projects'),
      ...this._model.projects.map(p => option(p.name, p.name))
    );
    this._scope.value = chosen;
    if (this._scope.value !== chosen) {
      this._scope.value = '';
    }
  }

  /**
   * One row per token: name, prefix, scope, dates and a Revoke button; the
   * token of this server's kernels is listed too, with a note instead.
   */
  private _renderTokens(): void {
    const rows = this._model.tokens.map(token => {
      const row = document.createElement('li');
      row.className = TOKEN_ITEM_CLASS;
      if (Private.isKernelsToken(token)) {
        row.classList.add(KERNELS_ITEM_CLASS);
      }
      row.dataset.tokenId = String(token.id);
      const name = document.createElement('span');
      name.className = 'jp-Tracker-Tokens-itemName';
      name.textContent = token.name;
      name.title = token.name;
      const details = document.createElement('span');
      details.className = 'jp-Tracker-Tokens-itemDetails';
      details.textContent = [
        `${token.prefix}…`,
        token.projects ? token.projects.join(', ') : 'all projects',
        `created ${Private.date(token.created_at)}`,
        token.last_used_at
          ? `last used ${Private.date(token.last_used_at)}`
          : 'never used'
      ].join(' · ');
      row.append(name, details, this._renderAction(token));
      return row;
    });
    if (rows.length === 0) {
      const empty = document.createElement('li');
      empty.className = `${TOKEN_ITEM_CLASS} jp-mod-empty`;
      empty.textContent = 'No tokens yet.';
      rows.push(empty);
    }
    this._list.replaceChildren(...rows);
  }

  /**
   * A row's Revoke button, or, for the token of this server's kernels, a
   * note: revoking that one would cut every kernel off from the tracker.
   */
  private _renderAction(token: IApiToken): HTMLElement {
    if (Private.isKernelsToken(token)) {
      const note = document.createElement('span');
      note.className = KERNELS_NOTE_CLASS;
      note.textContent = "used by this server's kernels";
      note.title =
        'This Jupyter server gives this token to its kernels so that they ' +
        'log runs; revoking it would cut them off from the tracker.';
      return note;
    }
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'jp-Button jp-mod-styled jp-mod-reject';
    revoke.textContent = 'Revoke';
    revoke.setAttribute('aria-label', `Revoke token ${token.name}`);
    revoke.addEventListener('click', () => {
      // A token may be in use elsewhere: ask for a second click.
      if (revoke.dataset.confirm !== 'true') {
        revoke.dataset.confirm = 'true';
        revoke.textContent = 'Confirm revoke';
        revoke.classList.replace('jp-mod-reject', 'jp-mod-warn');
        return;
      }
      void this._model
        .revokeToken(token.id)
        .then(() => this._setStatus(`Revoked ${token.name}.`, false))
        .catch(error => this._setStatus(Private.messageOf(error), true));
    });
    return revoke;
  }

  /**
   * Show a new token's secret, once, with a Copy button.
   */
  private _showSecret(token: INewApiToken): void {
    const note = document.createElement('p');
    note.textContent = `Token ${token.name} created. Copy it now: it is not shown again.`;
    const code = document.createElement('code');
    code.textContent = token.token;
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'jp-Button jp-mod-styled jp-mod-accept';
    copy.textContent = 'Copy';
    copy.addEventListener('click', () => {
      Clipboard.copyToSystem(token.token);
      copy.textContent = 'Copied';
    });
    const line = document.createElement('div');
    line.className = 'jp-Tracker-Tokens-secretLine';
    line.append(code, copy);
    this._secret.replaceChildren(note, line);
    this._secret.hidden = false;
  }

  /**
   * Set the section's status line.
   */
  private _setStatus(text: string, isError: boolean): void {
    this._status.textContent = text;
    this._status.classList.toggle(ERROR_MOD, isError);
  }

  private _model: ConfigureModel;
  private _list: HTMLUListElement;
  private _name: HTMLInputElement;
  private _scope: HTMLSelectElement;
  private _secret: HTMLElement;
  private _status: HTMLElement;
}

/**
 * The namespace for `TokensSection` statics.
 */
export namespace TokensSection {
  /**
   * Options to create the section.
   */
  export interface IOptions {
    /**
     * The model it renders.
     */
    model: ConfigureModel;
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * Whether a token is the one this server gives its kernels.
   */
  export function isKernelsToken(token: IApiToken): boolean {
    return token.name === KERNELS_TOKEN_NAME;
  }

  /**
   * A date for people, in their locale.
   */
  export function date(iso: string): string {
    const value = new Date(iso);
    return Number.isNaN(value.getTime()) ? iso : value.toLocaleDateString();
  }

  /**
   * The message of an error, whatever was thrown.
   */
  export function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }
}
