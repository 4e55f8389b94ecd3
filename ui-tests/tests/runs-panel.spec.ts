/**
 * The Runs side panel lists runs created through the REST API.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  callTracker,
  createRun,
  RUNS_PANEL_ID,
  screenshotPath,
  uniqueName
} from './helpers';

test.describe('Runs panel', () => {
  test('shows a run created through the API', async ({ page }) => {
    // Given a run created through the API
    const name = uniqueName('ui-test');
    const created = await createRun(page, {
      project: 'sandbox',
      name,
      params: { lr: 0.1 },
      tags: ['ui-test']
    });

    // When the Runs panel is opened and refreshed
    await page.sidebar.openTab(RUNS_PANEL_ID);
    const panel = page.locator(`#${RUNS_PANEL_ID}`);
    await expect(panel).toBeVisible();
    await panel.getByRole('button', { name: 'Refresh runs' }).click();

    // Then its row shows the id, the name and the running state
    const row = panel.locator('.jp-Tracker-RunItem', { hasText: name });
    await expect(row).toBeVisible();
    await expect(row).toHaveAttribute('data-run-id', String(created.id));
    await expect(row.locator('.jp-Tracker-RunItem-id')).toHaveText(
      String(created.id)
    );
    await expect(row.locator('.jp-Tracker-RunItem-state')).toHaveText(
      'running'
    );
    await expect(row.locator('.jp-Tracker-StateDot')).toHaveClass(
      /jp-mod-running/
    );
    await expect(panel.locator('.jp-Tracker-RunsPanel-error')).toBeHidden();
  });

  test('picks up new runs by itself while visible', async ({ page }) => {
    // Given the Runs panel is open and has loaded
    await page.sidebar.openTab(RUNS_PANEL_ID);
    const panel = page.locator(`#${RUNS_PANEL_ID}`);
    await expect(panel).toHaveAttribute('aria-busy', 'false');

    // When a run is created while nobody touches the panel
    const name = uniqueName('polled');
    await createRun(page, { project: 'sandbox', name });

    // Then it shows up within the refresh interval (10 s) plus slack
    await expect(
      panel.locator('.jp-Tracker-RunItem', { hasText: name })
    ).toBeVisible({ timeout: 20_000 });
  });

  test('screenshots in light and dark theme', async ({ page }) => {
    // Given a few runs, so the panel has rows to show
    for (const prefix of ['baseline', 'wider-net', 'lr-sweep']) {
      await createRun(page, { project: 'sandbox', name: uniqueName(prefix) });
    }
    await page.sidebar.openTab(RUNS_PANEL_ID);
    const panel = page.locator(`#${RUNS_PANEL_ID}`);
    await panel.getByRole('button', { name: 'Refresh runs' }).click();
    await expect(panel.locator('.jp-Tracker-RunItem').first()).toBeVisible();
    await expect(panel).toHaveAttribute('aria-busy', 'false');

    // When the panel is shown in the light and then the dark theme
    await page.theme.setLightTheme();
    await panel.screenshot({
      path: screenshotPath('runs-panel-light.png'),
      animations: 'disabled'
    });
    await page.screenshot({
      path: screenshotPath('lab-light.png'),
      animations: 'disabled'
    });
    await page.theme.setDarkTheme();
    await panel.screenshot({
      path: screenshotPath('runs-panel-dark.png'),
      animations: 'disabled'
    });
    await page.screenshot({
      path: screenshotPath('lab-dark.png'),
      animations: 'disabled'
    });

    // Then the rows are still visible (the images are for people to look at)
    expect(await page.theme.getTheme()).toBe('JupyterLab Dark');
    await expect(panel.locator('.jp-Tracker-RunItem').first()).toBeVisible();
  });

  test('lists the project the tracker settings name', async ({ page }) => {
    // Given another project with a run, named by the tracker settings
    const project = uniqueName('lab-default');
    const created = await callTracker(page, 'POST', 'projects', {
      data: { name: project }
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const name = uniqueName('configured');
    await createRun(page, { project, name });
    const sandboxRun = uniqueName('sandbox-only');
    await createRun(page, { project: 'sandbox', name: sandboxRun });
    try {
      const put = await callTracker(page, 'PUT', 'config', {
        data: { url: '', project, api_token: null }
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);

      // When Lab is loaded again and the Runs panel opened
      await page.reload();
      await page.sidebar.openTab(RUNS_PANEL_ID);
      const panel = page.locator(`#${RUNS_PANEL_ID}`);
      await expect(panel).toBeVisible();

      // Then its header names that project and its list shows that run,
      // not the runs of sandbox
      await expect(panel.locator('.jp-Tracker-RunsPanel-project')).toHaveText(
        project
      );
      await expect(
        panel.locator('.jp-Tracker-RunItem', { hasText: name })
      ).toBeVisible();
      await expect(panel.locator('.jp-Tracker-RunItem')).toHaveCount(1);
      await expect(
        panel.locator('.jp-Tracker-RunItem', { hasText: sandboxRun })
      ).toHaveCount(0);
    } finally {
      await callTracker(page, 'PUT', 'config', {
        data: { url: '', project: 'sandbox', api_token: null }
      });
    }
  });

  test('Show Runs and Refresh Runs are in the palette under Tracker', async ({
    page
  }) => {
    // When the palette is searched for the Runs commands
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette.locator('input').fill('Runs');

    // Then both are listed under "Tracker"
    await expect(palette.locator('.lm-CommandPalette-header')).toContainText([
      'Tracker'
    ]);
    const labels: { [command: string]: string } = {
      'jupyter-tracker:show-runs': 'Show Runs',
      'jupyter-tracker:refresh-runs': 'Refresh Runs'
    };
    for (const [command, label] of Object.entries(labels)) {
      const item = palette.locator(
        `.lm-CommandPalette-item[data-command="${command}"]`
      );
      await expect(item.locator('.lm-CommandPalette-itemLabel')).toHaveText(
        label
      );
      // The item sits in the "Tracker" section of the palette
      const header = await item.evaluate(node => {
        let previous = node.previousElementSibling;
        while (
          previous &&
          !previous.classList.contains('lm-CommandPalette-header')
        ) {
          previous = previous.previousElementSibling;
        }
        return previous?.textContent ?? null;
      });
      expect(header?.toLowerCase()).toBe('tracker');
    }
    await page.keyboard.press('Escape');
  });
});
