/**
 * Helpers shared by the browser tests.
 */
import type { APIResponse, Page } from '@playwright/test';

/** The path of the tracker REST API below the server's base URL. */
export const API_PATH = '/jupyter-tracker/api/v1';

/** The DOM id of the Runs side panel. */
export const RUNS_PANEL_ID = 'jp-tracker-runs';

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
  const cookies = await page.context().cookies();
  const xsrf = cookies.find(cookie => cookie.name === '_xsrf')?.value;
  const headers: { [key: string]: string } = {
    'Content-Type': 'application/json'
  };
  if (xsrf) {
    headers['X-XSRFToken'] = xsrf;
  }
  const response: APIResponse = await page.request.post(`${API_PATH}/runs`, {
    data: body,
    headers
  });
  if (response.status() !== 201) {
    throw new Error(
      `Creating a run answered ${response.status()}: ${await response.text()}`
    );
  }
  return (await response.json()) as { [key: string]: unknown };
}
