/**
 * The state behind the Configure dialog: the tracker settings, the projects
 * to choose from and the user's API tokens. It does all the fetching; the
 * dialog only renders.
 */

import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import {
  createToken,
  getConfig,
  IApiToken,
  INewApiToken,
  IProject,
  ITrackerConfig,
  ITrackerConfigUpdate,
  listProjects,
  listTokens,
  putConfig,
  revokeToken
} from '../api';

/**
 * The settings, projects and tokens the Configure dialog shows; it does all
 * the fetching, the dialog only renders.
 */
export class ConfigureModel {
  /**
   * Create a model.
   */
  constructor(options: ConfigureModel.IOptions) {
    this._settings = options.settings;
  }

  /**
   * Emits when anything below changed.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The settings as the server has them, once loaded.
   */
  get config(): ITrackerConfig | null {
    return this._config;
  }

  /**
   * The projects the user can pick from.
   */
  get projects(): ReadonlyArray<IProject> {
    return this._projects;
  }

  /**
   * The user's API tokens that are not revoked.
   */
  get tokens(): ReadonlyArray<IApiToken> {
    return this._tokens;
  }

  /**
   * Why loading failed, if it did.
   */
  get loadError(): string | null {
    return this._loadError;
  }

  /**
   * Load the settings, then the projects and tokens of the tracker they
   * point at.
   */
  async load(): Promise<void> {
    try {
      this._config = await getConfig(this._settings);
      this._loadError = null;
    } catch (error) {
      this._loadError = error instanceof Error ? error.message : String(error);
    }
    await this._loadLists();
  }

  /**
   * Save the settings; the server checks the token (and URL) first.
   *
   * @param update - The new settings.
   * @param newProject - Whether `update.project` is to be created (the
   *   server creates it once the rest is accepted).
   * @throws {@link TrackerApiError} naming the field the server refused.
   */
  async save(
    update: ITrackerConfigUpdate,
    newProject: boolean
  ): Promise<ITrackerConfig> {
    this._config = await putConfig(this._settings, {
      ...update,
      create_project: newProject
    });
    await this._loadLists();
    return this._config;
  }

  /**
   * Create a token; its secret is in the answer, and only there.
   */
  async createToken(
    name: string,
    projects: string[] | null
  ): Promise<INewApiToken> {
    const token = await createToken(this._settings, name, projects);
    await this._loadLists();
    return token;
  }

  /**
   * Revoke a token.
   */
  async revokeToken(id: number): Promise<void> {
    await revokeToken(this._settings, id);
    await this._loadLists();
  }

  /**
   * Reload the projects and tokens, keeping what loaded.
   */
  private async _loadLists(): Promise<void> {
    const [projects, tokens] = await Promise.allSettled([
      listProjects(this._settings),
      listTokens(this._settings)
    ]);
    this._projects = projects.status === 'fulfilled' ? projects.value : [];
    this._tokens =
      tokens.status === 'fulfilled'
        ? tokens.value.filter(token => !token.revoked_at)
        : [];
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _config: ITrackerConfig | null = null;
  private _loadError: string | null = null;
  private _projects: IProject[] = [];
  private _settings: ServerConnection.ISettings;
  private _tokens: IApiToken[] = [];
}

/**
 * The namespace for `ConfigureModel` statics.
 */
export namespace ConfigureModel {
  /**
   * Options to create a model.
   */
  export interface IOptions {
    /**
     * The server connection settings.
     */
    settings: ServerConnection.ISettings;
  }
}
