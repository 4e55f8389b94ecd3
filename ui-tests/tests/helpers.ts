/**
 * Helpers shared by the browser tests.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIResponse, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/** The path of the tracker REST API below the server's base URL. */
export const API_PATH = '/jupyter-tracker/api/v1';

/** The DOM id of the Runs side panel. */
export const RUNS_PANEL_ID = 'jp-tracker-runs';

/** The DOM id of the checkpoint history side panel. */
export const HISTORY_PANEL_ID = 'jp-tracker-checkpoint-history';

/** Where the tests write their screenshots (for people, not compared). */
const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

/**
 * The path to write screenshot `name` to; creates the folder.
 */
export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, name);
}

/**
 * A run name no other test (or earlier run of this one) has used.
 */
export function uniqueName(prefix: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}

/**
 * Create a run through the REST API, the way any client of the server does:
 * a JSON POST carrying the `_xsrf` cookie in the `X-XSRFToken` header.
 */
export async function createRun(
  page: Page,
  body: { [key: string]: unknown }
): Promise<{ [key: string]: unknown }> {
  const response: APIResponse = await page.request.post(`${API_PATH}/runs`, {
    data: body,
    headers: await trackerHeaders(page)
  });
  if (response.status() !== 201) {
    throw new Error(
      `Creating a run answered ${response.status()}: ${await response.text()}`
    );
  }
  return (await response.json()) as { [key: string]: unknown };
}

/**
 * The headers of a JSON request to the tracker from the test: the
 * `_xsrf` cookie echoed in `X-XSRFToken`, as Lab itself sends it.
 */
export async function trackerHeaders(
  page: Page
): Promise<{ [key: string]: string }> {
  const cookies = await page.context().cookies();
  const xsrf = cookies.find(cookie => cookie.name === '_xsrf')?.value;
  const headers: { [key: string]: string } = {
    'Content-Type': 'application/json'
  };
  if (xsrf) {
    headers['X-XSRFToken'] = xsrf;
  }
  return headers;
}

/**
 * The project the tracker settings (Configure) name: the one the Lab
 * extension lists checkpoints from.
 */
export async function configuredProject(page: Page): Promise<string> {
  const response = await page.request.get(`${API_PATH}/config`);
  if (!response.ok()) {
    throw new Error(
      `Reading the settings answered ${response.status()}: ${await response.text()}`
    );
  }
  const config = (await response.json()) as { project?: string };
  return config.project || 'sandbox';
}

/**
 * A notebook (nbformat 4.5) with code cells of the given sources; a cell
 * given as `[source, executionCount]` carries that execution count.
 */
export function makeNotebook(cells: Array<string | [string, number | null]>): {
  [key: string]: unknown;
} {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        display_name: 'Python 3 (ipykernel)',
        language: 'python',
        name: 'python3'
      },
      language_info: { name: 'python' }
    },
    cells: cells.map((cell, index) => {
      const [source, count] = typeof cell === 'string' ? [cell, null] : cell;
      return {
        cell_type: 'code',
        id: `cell-${index + 1}`,
        metadata: {},
        execution_count: count,
        outputs: [],
        source
      };
    })
  };
}

/**
 * Write a notebook into the test's folder and open it in Lab.
 */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  filePath: string,
  notebook: { [key: string]: unknown }
): Promise<void> {
  await page.contents.uploadContent(JSON.stringify(notebook), 'text', filePath);
  expect(await page.notebook.openByPath(filePath)).toBe(true);
  await page.notebook.activate(path.basename(filePath));
}

/**
 * Store a checkpoint of a notebook through the REST API
 * (`POST notebooks/checkpoints`), as the Upload button does, and return it.
 */
export async function uploadCheckpoint(
  page: Page,
  notebook: { [key: string]: unknown },
  query: {
    path: string;
    project?: string;
    description?: string;
    runId?: string;
  }
): Promise<{ [key: string]: unknown }> {
  const params: { [key: string]: string } = { path: query.path };
  if (query.project) {
    params.project = query.project;
  }
  if (query.runId) {
    params.run_id = query.runId;
  }
  if (query.description !== undefined) {
    params.description = query.description;
  }
  const response: APIResponse = await page.request.post(
    `${API_PATH}/notebooks/checkpoints`,
    { data: notebook, headers: await trackerHeaders(page), params }
  );
  if (response.status() !== 201 && response.status() !== 200) {
    throw new Error(
      `Storing a checkpoint answered ${response.status()}: ${await response.text()}`
    );
  }
  return (await response.json()) as { [key: string]: unknown };
}

/**
 * Call a tracker route as Lab does (XSRF header, JSON body) and return the
 * status and the decoded answer, whatever the status.
 */
export async function callTracker(
  page: Page,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  route: string,
  options: {
    params?: { [key: string]: string | number };
    data?: unknown;
  } = {}
): Promise<{ status: number; body: any }> {
  const response: APIResponse = await page.request.fetch(
    `${API_PATH}/${route}`,
    {
      method,
      headers: await trackerHeaders(page),
      params: options.params,
      data: options.data
    }
  );
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status(), body };
}
