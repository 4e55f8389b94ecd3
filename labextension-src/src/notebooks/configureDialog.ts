/**
 * Configure: where the tracker is, the API token, the default project, and
 * API tokens for other machines.
 *
 * Settings are saved on the Jupyter server (in the user's
 * `jupyter_tracker_client.json`); the token typed here is checked by the
 * server at once and never comes back to the browser.
 */

import { Clipboard, Dialog } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { INewApiToken, ITrackerConfigUpdate, TrackerApiError } from '../api';
import { ConfigureModel } from './configureModel';

/**
 * The class of the dialog body.
 */
const BODY_CLASS = 'jp-Tracker-Configure';

/**
 * The class of the dialog, taller than Lab's dialogs allow by default.
 */
const DIALOG_CLASS = 'jp-Tracker-ConfigureDialog';

/**
 * The class of a labelled field.
 */
const FIELD_CLASS = 'jp-Tracker-Configure-field';

/**
 * The class of a field's help text.
 */
const HINT_CLASS = 'jp-Tracker-Configure-hint';

/**
 * The class of the status line (success or error).
 */
const STATUS_CLASS = 'jp-Tracker-Configure-status';

/**
 * The class of the tokens section.
 */
const TOKENS_CLASS = 'jp-Tracker-Tokens';

/**
 * The class of the token list.
 */
const TOKEN_LIST_CLASS = 'jp-Tracker-Tokens-list';

/**
 * The class of one token row.
 */
const TOKEN_ITEM_CLASS = 'jp-Tracker-Tokens-item';

/**
 * The class of the box showing a new token's secret.
 */
const SECRET_CLASS = 'jp-Tracker-Tokens-secret';

/**
 * The modifiers of the status line. Not `jp-mod-error`: a dialog disables
 * its accept button while any element inside has that class.
 */
const ERROR_MOD = 'jp-mod-failed';
const SUCCESS_MOD = 'jp-mod-success';

/**
 * The value of the project picker's "New project…" option.
 */
const NEW_PROJECT = '\u0000new';

/**
 * The names people read for the fields the server may blame.
 */
const FIELD_NAMES: { [field: string]: string } = {
  url: 'Tracker URL',
  api_token: 'API token',
  project: 'Default project'
};

/**
 * The body of the Configure dialog: the settings form and the tokens list.
 */
export class ConfigureBody extends Widget {
  /**
   * Create the body.
   */
  constructor(options: ConfigureBody.IOptions) {
    super();
    this.addClass(BODY_CLASS);
    this._model = options.model;

    this._url = Private.input('text', 'jp-Tracker-Configure-url');
    this._url.placeholder = 'Empty: this Jupyter server keeps the runs';
    this._token = Private.input('password', 'jp-Tracker-Configure-token');
    this._token.autocomplete = 'new-password';
    this._forget = Private.input('checkbox', 'jp-Tracker-Configure-forget');
    this._project = document.createElement('select');
    this._project.className = 'jp-Tracker-Configure-project';
    this._newProject = Private.input('text', 'jp-Tracker-Configure-newProject');
    this._newProject.placeholder = 'New project name';
    this._newProject.setAttribute('aria-label', 'New project name');
    this._newProject.hidden = true;
    this._project.addEventListener('change', () => {
      this._newProject.hidden = this._project.value !== NEW_PROJECT;
      if (!this._newProject.hidden) {
        this._newProject.focus();
      }
    });
    this._status = document.createElement('div');
    this._status.className = STATUS_CLASS;
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');

    const forgetLabel = document.createElement('label');
    forgetLabel.className = 'jp-Tracker-Configure-check';
    forgetLabel.append(this._forget, ' Forget the stored token');
    this._forgetLabel = forgetLabel;

    this.node.append(
      Private.field('Tracker URL', this._url, ''),
      Private.field('API token', this._token, '', forgetLabel),
      Private.field('Default project', this._project, '', this._newProject),
      this._status,
      this._renderTokensSection()
    );

    this._model.changed.connect(this._render, this);
    this._render();
    this._fillForm();
  }

  /**
   * Whether the focus is in the tokens section (Enter creates a token there).
   */
  get tokensHaveFocus(): boolean {
    return this._tokensNode.contains(document.activeElement);
  }

  /**
   * Save the form and say in the dialog how it went.
   */
  async save(): Promise<void> {
    const isNew = this._project.value === NEW_PROJECT;
    const project = isNew ? this._newProject.value.trim() : this._project.value;
    if (!project) {
      this._showError('project', 'a project name is required');
      return;
    }
    const typed = this._token.value.trim();
    const update: ITrackerConfigUpdate = {
      url: this._url.value.trim(),
      project,
      api_token: typed ? typed : this._forget.checked ? '' : null
    };
    this._setStatus('Checking…', null);
    try {
      const config = await this._model.save(update, isNew);
      const where = config.url || 'this Jupyter server';
      this._setStatus(
        typed
          ? `Saved. The token was accepted by ${where}` +
              (config.user ? ` (user ${config.user}).` : '.')
          : `Saved. Runs go to project ${config.project} on ${where}.`,
        SUCCESS_MOD
      );
      this._token.value = '';
      this._forget.checked = false;
      this._fillForm();
    } catch (error) {
      const field = error instanceof TrackerApiError ? error.field : null;
      this._showError(field, Private.messageOf(error));
    }
  }

  /**
   * Create a token from the name typed in the tokens section.
   */
  async createToken(): Promise<void> {
    const name = this._tokenName.value.trim();
    if (!name) {
      this._tokenName.focus();
      this._setTokenStatus('Name the token first (e.g. the machine).', true);
      return;
    }
    const scope = this._tokenScope.value;
    try {
      const token = await this._model.createToken(name, scope ? [scope] : null);
      this._tokenName.value = '';
      this._showSecret(token);
      this._setTokenStatus('', false);
    } catch (error) {
      this._setTokenStatus(Private.messageOf(error), true);
    }
  }

  /**
   * Put the stored settings in the form.
   */
  private _fillForm(): void {
    const config = this._model.config;
    this._url.value = config?.url ?? '';
    const hint = config?.api_token_hint;
    this._token.placeholder =
      config?.api_token_set && hint
        ? `${hint} is stored; type a new one to replace it`
        : 'None stored (this server needs none)';
    this._forgetLabel.hidden = !config?.api_token_set;
    this._selectProject(config?.project ?? '');
  }

  /**
   * Rebuild what depends on the lists: project options, token rows.
   */
  private _render(): void {
    const chosen = this._project.value || (this._model.config?.project ?? '');
    this._selectProject(chosen);
    this._renderTokenScope();
    this._renderTokens();
    const error = this._model.loadError;
    if (error) {
      this._setStatus(`The settings could not be read: ${error}`, ERROR_MOD);
    }
  }

  /**
   * Fill the project picker and select a project in it.
   */
  private _selectProject(name: string): void {
    const names = this._model.projects.map(project => project.name);
    if (name && name !== NEW_PROJECT && !names.includes(name)) {
      names.unshift(name);
    }
    this._project.replaceChildren(
      ...names.map(value => Private.option(value, value)),
      Private.option(NEW_PROJECT, 'New project…')
    );
    this._project.value = name || (names[0] ?? NEW_PROJECT);
    this._newProject.hidden = this._project.value !== NEW_PROJECT;
  }

  /**
   * The tokens section: the list, then a form to create one.
   */
  private _renderTokensSection(): HTMLElement {
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

    this._tokenList = document.createElement('ul');
    this._tokenList.className = TOKEN_LIST_CLASS;
    this._tokenList.setAttribute('aria-label', 'API tokens');

    this._tokenName = Private.input('text', 'jp-Tracker-Tokens-name');
    this._tokenName.placeholder = 'Token name, e.g. gpu-box';
    this._tokenName.setAttribute('aria-label', 'New token name');
    this._tokenScope = document.createElement('select');
    this._tokenScope.className = 'jp-Tracker-Tokens-scope';
    this._tokenScope.setAttribute('aria-label', 'Projects the token can use');
    const create = document.createElement('button');
    create.type = 'button';
    create.className = 'jp-Button jp-mod-styled jp-mod-reject';
    create.textContent = 'Create token';
    create.addEventListener('click', () => void this.createToken());
    const form = document.createElement('div');
    form.className = 'jp-Tracker-Tokens-create';
    form.append(this._tokenName, this._tokenScope, create);

    this._secret = document.createElement('div');
    this._secret.className = SECRET_CLASS;
    this._secret.hidden = true;
    this._tokenStatus = document.createElement('div');
    this._tokenStatus.className = STATUS_CLASS;
    this._tokenStatus.setAttribute('role', 'status');

    section.append(
      title,
      help,
      this._tokenList,
      form,
      this._secret,
      this._tokenStatus
    );
    this._tokensNode = section;
    return section;
  }

  /**
   * Offer "all projects" or one project as a new token's scope.
   */
  private _renderTokenScope(): void {
    const chosen = this._tokenScope.value;
    this._tokenScope.replaceChildren(
      Private.option('', 'All my projects'),
      ...this._model.projects.map(p => Private.option(p.name, p.name))
    );
    this._tokenScope.value = chosen;
    if (this._tokenScope.value !== chosen) {
      this._tokenScope.value = '';
    }
  }

  /**
   * One row per token: name, prefix, scope, dates and a Revoke button.
   */
  private _renderTokens(): void {
    const rows = this._model.tokens.map(token => {
      const row = document.createElement('li');
      row.className = TOKEN_ITEM_CLASS;
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
          .then(() => this._setTokenStatus(`Revoked ${token.name}.`, false))
          .catch(error => this._setTokenStatus(Private.messageOf(error), true));
      });
      row.append(name, details, revoke);
      return row;
    });
    if (rows.length === 0) {
      const empty = document.createElement('li');
      empty.className = `${TOKEN_ITEM_CLASS} jp-mod-empty`;
      empty.textContent = 'No tokens yet.';
      rows.push(empty);
    }
    this._tokenList.replaceChildren(...rows);
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
   * Show the server's refusal beside the field it names.
   */
  private _showError(field: string | null, message: string): void {
    for (const input of [this._url, this._token, this._newProject]) {
      input.removeAttribute('aria-invalid');
    }
    this._project.removeAttribute('aria-invalid');
    const name = field ? (FIELD_NAMES[field] ?? field) : null;
    const input =
      field === 'url'
        ? this._url
        : field === 'api_token'
          ? this._token
          : field === 'project'
            ? this._project.value === NEW_PROJECT
              ? this._newProject
              : this._project
            : null;
    input?.setAttribute('aria-invalid', 'true');
    this._setStatus(name ? `${name}: ${message}` : message, ERROR_MOD);
  }

  /**
   * Set the status line under the settings.
   */
  private _setStatus(text: string, mod: string | null): void {
    this._status.textContent = text;
    this._status.classList.remove(ERROR_MOD, SUCCESS_MOD);
    this._status.setAttribute('role', mod === ERROR_MOD ? 'alert' : 'status');
    if (mod) {
      this._status.classList.add(mod);
    }
  }

  /**
   * Set the status line of the tokens section.
   */
  private _setTokenStatus(text: string, isError: boolean): void {
    this._tokenStatus.textContent = text;
    this._tokenStatus.classList.toggle(ERROR_MOD, isError);
  }

  private _forget: HTMLInputElement;
  private _forgetLabel: HTMLElement;
  private _model: ConfigureModel;
  private _newProject: HTMLInputElement;
  private _project: HTMLSelectElement;
  private _secret!: HTMLElement;
  private _status: HTMLElement;
  private _token: HTMLInputElement;
  private _tokenList!: HTMLUListElement;
  private _tokenName!: HTMLInputElement;
  private _tokenScope!: HTMLSelectElement;
  private _tokensNode!: HTMLElement;
  private _tokenStatus!: HTMLElement;
  private _url: HTMLInputElement;
}

/**
 * The namespace for `ConfigureBody` statics.
 */
export namespace ConfigureBody {
  /**
   * Options to create the body.
   */
  export interface IOptions {
    /**
     * The model it renders.
     */
    model: ConfigureModel;
  }
}

/**
 * Show the Configure dialog. Save (or Enter) saves without closing, so the
 * server's verdict stays in view; Close closes.
 */
export async function showConfigureDialog(
  settings: ServerConnection.ISettings
): Promise<void> {
  const model = new ConfigureModel({ settings });
  await model.load();
  const body = new ConfigureBody({ model });
  const dialog = new Private.ConfigureDialog({
    title: 'Configure tracker',
    body,
    buttons: [
      Dialog.cancelButton({ label: 'Close' }),
      Dialog.okButton({ label: 'Save' })
    ],
    focusNodeSelector: 'input'
  });
  await dialog.launch();
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * A dialog whose accept button saves instead of closing.
   */
  export class ConfigureDialog extends Dialog<void> {
    constructor(options: Partial<Dialog.IOptions<void>>) {
      super(options);
      this.addClass(DIALOG_CLASS);
      this._form = options.body as ConfigureBody;
      this._saveIndex = (options.buttons ?? []).findIndex(b => b.accept);
    }

    /**
     * Save or create a token for the accept button (and Enter); close for
     * the others.
     */
    override resolve(index?: number): void {
      if (index === undefined || index === this._saveIndex) {
        if (this._form.tokensHaveFocus) {
          void this._form.createToken();
        } else {
          void this._form.save();
        }
        return;
      }
      super.resolve(index);
    }

    private _form: ConfigureBody;
    private _saveIndex: number;
  }

  /**
   * A labelled form field with optional help text and extra nodes.
   */
  export function field(
    label: string,
    control: HTMLElement,
    hint: string,
    ...extra: HTMLElement[]
  ): HTMLElement {
    const node = document.createElement('div');
    node.className = FIELD_CLASS;
    const id = `${control.className}-${++counter}`;
    control.id = id;
    const labelNode = document.createElement('label');
    labelNode.htmlFor = id;
    labelNode.textContent = label;
    node.append(labelNode, control, ...extra);
    if (hint) {
      const hintNode = document.createElement('div');
      hintNode.className = HINT_CLASS;
      hintNode.textContent = hint;
      node.append(hintNode);
    }
    return node;
  }

  /**
   * A styled input.
   */
  export function input(type: string, className: string): HTMLInputElement {
    const node = document.createElement('input');
    node.type = type;
    node.className =
      type === 'checkbox' ? className : `jp-mod-styled ${className}`;
    node.spellcheck = false;
    return node;
  }

  /**
   * An option of a select.
   */
  export function option(value: string, text: string): HTMLOptionElement {
    const node = document.createElement('option');
    node.value = value;
    node.textContent = text;
    return node;
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

  let counter = 0;
}
