/**
 * Configure: where the tracker is, who we are, projects and API tokens.
 */

import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './request';

/**
 * The tracker settings the Configure dialog edits (the token never comes
 * back from the server, only a hint of it).
 */
export interface ITrackerConfig {
  /**
   * The tracker's URL; empty means this Jupyter server.
   */
  url: string;
  /**
   * The default project.
   */
  project: string;
  api_token_set: boolean;
  /**
   * For example `jtt_…a1b2`, or `null`.
   */
  api_token_hint: string | null;
  /**
   * Whether tracker calls are forwarded to another server.
   */
  remote: boolean;
  user?: string;
}

/**
 * A change to the settings. `api_token`: a new token, `''` to clear it, or
 * `null`/absent to keep the one stored.
 */
export interface ITrackerConfigUpdate {
  url: string;
  project: string;
  api_token?: string | null;
  create_project?: boolean;
}

/**
 * Who the tracker says we are.
 */
export interface IMe {
  user: string;
  via_token: boolean;
  projects: string[] | null;
  default_project: string;
}

/**
 * A project.
 */
export interface IProject {
  name: string;
  key: string;
  description: string;
  created_at: string;
  run_count: number;
}

/**
 * The name of the token this Jupyter server creates for its own kernels
 * (`KERNEL_TOKEN_NAME` in `jupyter_tracker/server/app.py`); revoking it cuts
 * every kernel of the server off from the tracker.
 */
export const KERNELS_TOKEN_NAME = 'JupyterLab kernels';

/**
 * An API token as listed (never with its secret).
 */
export interface IApiToken {
  id: number;
  name: string;
  prefix: string;
  user: string;
  projects: string[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * A token just created: its secret is shown this once.
 */
export interface INewApiToken extends IApiToken {
  token: string;
}

export function getConfig(
  settings: ServerConnection.ISettings
): Promise<ITrackerConfig> {
  return requestAPI<ITrackerConfig>(settings, 'config');
}

export function putConfig(
  settings: ServerConnection.ISettings,
  update: ITrackerConfigUpdate
): Promise<ITrackerConfig> {
  return requestAPI<ITrackerConfig>(settings, 'config', {
    method: 'PUT',
    body: update
  });
}

export function getMe(settings: ServerConnection.ISettings): Promise<IMe> {
  return requestAPI<IMe>(settings, 'me');
}

/**
 * The project a view lists when the user has not picked one: the one the
 * tracker settings (Configure) name, else the server's default project from
 * `GET /me` (the one kernels log to), else `null` when neither answers.
 */
export async function getDefaultProject(
  settings: ServerConnection.ISettings
): Promise<string | null> {
  try {
    const config = await getConfig(settings);
    if (config.project) {
      return config.project;
    }
  } catch {
    // Fall back to what the tracker says.
  }
  try {
    const me = await getMe(settings);
    if (me.default_project) {
      return me.default_project;
    }
  } catch {
    // Neither answered: the caller picks its own default.
  }
  return null;
}

export async function listProjects(
  settings: ServerConnection.ISettings
): Promise<IProject[]> {
  const reply = await requestAPI<{ projects: IProject[] }>(
    settings,
    'projects'
  );
  return reply.projects;
}

export function createProject(
  settings: ServerConnection.ISettings,
  name: string
): Promise<IProject> {
  return requestAPI<IProject>(settings, 'projects', {
    method: 'POST',
    body: { name }
  });
}

export async function listTokens(
  settings: ServerConnection.ISettings
): Promise<IApiToken[]> {
  const reply = await requestAPI<{ tokens: IApiToken[] }>(settings, 'tokens');
  return reply.tokens;
}

export function createToken(
  settings: ServerConnection.ISettings,
  name: string,
  projects: string[] | null
): Promise<INewApiToken> {
  return requestAPI<INewApiToken>(settings, 'tokens', {
    method: 'POST',
    body: { name, projects }
  });
}

export function revokeToken(
  settings: ServerConnection.ISettings,
  id: number
): Promise<IApiToken> {
  return requestAPI<IApiToken>(settings, `tokens/${id}`, {
    method: 'DELETE'
  });
}
