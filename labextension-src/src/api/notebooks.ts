/**
 * Notebook checkpoints and their diffs: types and calls.
 */

import type * as nbformat from '@jupyterlab/nbformat';
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI, requestText } from './request';

/**
 * Where a checkpoint's content came from.
 *
 * - `upload`: the Upload button (or any API client);
 * - `editor`: the notebook as it was in the editor when a run started;
 * - `disk`: the saved file plus the kernel's history, when no editor sent one.
 */
export type CheckpointOrigin = 'upload' | 'editor' | 'disk';

/**
 * A hidden-state warning found in a checkpoint.
 */
export interface IHiddenStateWarning {
  /**
   * What is wrong.
   */
  kind: 'out_of_order' | 'edited_after_run' | 'deleted_cell';
  /**
   * A sentence for people, e.g. "cell 5 ran before cell 3".
   */
  message: string;
  /**
   * The 1-based positions of the cells concerned, among all cells.
   */
  cells: number[];
  /**
   * The execution counts concerned.
   */
  execution_counts: number[];
}

/**
 * One checkpoint of a notebook.
 */
export interface ICheckpoint {
  project: string;
  /**
   * The notebook's path relative to the Jupyter root.
   */
  path: string;
  /**
   * The id kept in the notebook's metadata, which survives renames.
   */
  notebook_id: string | null;
  /**
   * The checkpoint number, from 1.
   */
  number: number;
  sha256: string;
  /**
   * The size in bytes of the stored notebook.
   */
  size: number;
  description: string;
  author: string;
  origin: CheckpointOrigin;
  /**
   * The run this checkpoint was first saved for, if any.
   */
  run_id: string | null;
  /**
   * Every run linked to this checkpoint, oldest first.
   */
  runs: string[];
  warnings: IHiddenStateWarning[];
  /**
   * ISO 8601 time of creation.
   */
  created_at: string;
  /**
   * Only in upload replies: `false` when the latest checkpoint was identical
   * and was reused.
   */
  created?: boolean;
}

/**
 * A notebook that has checkpoints.
 */
export interface INotebookSummary {
  project: string;
  path: string;
  notebook_id?: string | null;
  /**
   * The number of checkpoints.
   */
  checkpoints: number;
  last_saved_at: string | null;
}

/**
 * An output that was compared by hash instead of text-diffed.
 */
export interface ISummarisedOutput {
  /**
   * 0-based index of the cell in the remote notebook.
   */
  cell: number;
  /**
   * 0-based index of the output in that cell.
   */
  output: number;
  mime: string;
  size: number;
  reason: string;
}

/**
 * The diff of two notebooks, in nbdime's format.
 */
export interface INotebookDiffReply {
  base: nbformat.INotebookContent;
  /**
   * nbdime's diff of `base` to the remote notebook.
   */
  diff: unknown[];
  summarised: ISummarisedOutput[];
  base_checkpoint: ICheckpoint;
  /**
   * `null` when the remote side is the posted editor content.
   */
  remote_checkpoint: ICheckpoint | null;
}

/**
 * What an upload carries besides the notebook.
 */
export interface IUploadOptions {
  project?: string;
  path: string;
  description?: string;
  runId?: string;
  origin?: CheckpointOrigin;
  cellId?: string;
  executionCount?: number;
  /**
   * What ran in this session: `[execution_count, source]` pairs.
   */
  history?: Array<[number, string]>;
  signal?: AbortSignal;
}

/**
 * The notebooks of a project that have checkpoints.
 */
export async function listNotebooks(
  settings: ServerConnection.ISettings,
  project?: string
): Promise<INotebookSummary[]> {
  const reply = await requestAPI<{ notebooks: INotebookSummary[] }>(
    settings,
    'notebooks',
    { query: { project } }
  );
  return reply.notebooks;
}

/**
 * The checkpoints of a notebook, newest first; by path or by notebook id.
 */
export async function listCheckpoints(
  settings: ServerConnection.ISettings,
  options: { project?: string; path?: string; notebookId?: string }
): Promise<ICheckpoint[]> {
  const reply = await requestAPI<{ checkpoints: ICheckpoint[] }>(
    settings,
    'notebooks/checkpoints',
    {
      query: {
        project: options.project,
        path: options.notebookId ? undefined : options.path,
        notebook_id: options.notebookId
      }
    }
  );
  return reply.checkpoints;
}

/**
 * Store a notebook as a new checkpoint (or reuse an identical latest one).
 */
export function uploadCheckpoint(
  settings: ServerConnection.ISettings,
  notebook: nbformat.INotebookContent,
  options: IUploadOptions
): Promise<ICheckpoint> {
  const body = options.history
    ? { notebook, history: options.history }
    : notebook;
  return requestAPI<ICheckpoint>(settings, 'notebooks/checkpoints', {
    method: 'POST',
    query: {
      project: options.project,
      path: options.path,
      description: options.description,
      run_id: options.runId,
      origin: options.origin,
      cell_id: options.cellId,
      execution_count: options.executionCount
    },
    body,
    signal: options.signal
  });
}

/**
 * A checkpoint's notebook, as stored.
 */
export async function getCheckpointContent(
  settings: ServerConnection.ISettings,
  options: { project?: string; path: string; number: number }
): Promise<nbformat.INotebookContent> {
  const { text } = await requestText(
    settings,
    'notebooks/checkpoints/content',
    {
      query: {
        project: options.project,
        path: options.path,
        number: options.number
      }
    }
  );
  return JSON.parse(text) as nbformat.INotebookContent;
}

/**
 * The diff between two checkpoints (`remote` given) or between a checkpoint
 * and the notebook content passed as `current`.
 */
export function diffNotebook(
  settings: ServerConnection.ISettings,
  options: {
    project?: string;
    path: string;
    base: number;
    remote?: number;
    current?: nbformat.INotebookContent;
  }
): Promise<INotebookDiffReply> {
  if (options.current !== undefined) {
    return requestAPI<INotebookDiffReply>(settings, 'notebooks/diff', {
      method: 'POST',
      query: {
        project: options.project,
        path: options.path,
        base: options.base
      },
      body: options.current
    });
  }
  return requestAPI<INotebookDiffReply>(settings, 'notebooks/diff', {
    query: {
      project: options.project,
      path: options.path,
      base: options.base,
      remote: options.remote
    }
  });
}
