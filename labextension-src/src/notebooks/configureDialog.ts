/**
 * Configure: where the tracker is, the API token and the default project,
 * with the API tokens for other machines below (`tokensSection.ts`).
 *
 * Settings are saved on the Jupyter server (in the user's
 * `jupyter_tracker_client.json`); the token typed here is checked by the
 * server at once and never comes back to the browser.
 */

import { Dialog } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { ITrackerConfigUpdate, TrackerApiError } from '../api';
import { ConfigureModel } from './configureModel';
import { input, option } from './dom';
import { TokensSection } from './tokensSection';

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

    this._url = input('text', 'jp-Tracker-Configure-url');
    this._url.placeholder = 'Empty: this Jupyter server keeps the runs';
    this._token = input('password', 'jp-Tracker-Configure-token');
    this._token.autocomplete = 'new-password';
    this._forget = input('checkbox', 'jp-Tracker-Configure-forget');
    this._project = document.createElement('select');
    this._project.className = 'jp-Tracker-Configure-project';
    this._newProject = input('text', 'jp-Tracker-Configure-newProject');
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
    this._tokens = new TokensSection({ model: this._model });

    const forgetLabel = document.createElement('label');
    forgetLabel.className = 'jp-Tracker-Configure-check';
    forgetLabel.append(this._forget, ' Forget the stored token');
    this._forgetLabel = forgetLabel;

    this.node.append(
      Private.field('Tracker URL', this._url, ''),
      Private.field('API token', this._token, '', forgetLabel),
      Private.field('Default project', this._project, '', this._newProject),
      this._status,
      this._tokens.node
    );

    this._model.changed.connect(this._render, this);
    this._render();
    this._fillForm();
  }

  /**
   * Whether the focus is in the tokens section (Enter creates a token there).
   */
  get tokensHaveFocus(): boolean {
    return this._tokens.hasFocus;
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
  createToken(): Promise<void> {
    return this._tokens.createToken();
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
    this._tokens.render();
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
      ...names.map(value => option(value, value)),
      option(NEW_PROJECT, 'New project…')
    );
    this._project.value = name || (names[0] ?? NEW_PROJECT);
    this._newProject.hidden = this._project.value !== NEW_PROJECT;
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

  private _forget: HTMLInputElement;
  private _forgetLabel: HTMLElement;
  private _model: ConfigureModel;
  private _newProject: HTMLInputElement;
  private _project: HTMLSelectElement;
  private _status: HTMLElement;
  private _token: HTMLInputElement;
  private _tokens: TokensSection;
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
   * The message of an error, whatever was thrown.
   */
  export function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }

  let counter = 0;
}
