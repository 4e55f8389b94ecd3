/**
 * JupyterLab starts with the extension and logs no errors.
 */
import { expect, test } from '@jupyterlab/galata';

// Navigate inside the test, after the listeners are attached, so errors
// logged while the application starts are caught too.
test.use({ autoGoto: false });

test('JupyterLab loads the extension without console errors', async ({
  page
}) => {
  // Given listeners for console errors and uncaught page errors
  const errors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error') {
      errors.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', error => {
    errors.push(`pageerror: ${error.message}`);
  });

  // When JupyterLab loads
  await page.goto();

  // Then the extension's plugins are active and its side panel tab exists
  const active = await page.evaluate(() => {
    const app = (window as any).jupyterapp;
    return ['jupyter-tracker:client', 'jupyter-tracker:runs-sidebar'].map(id =>
      app.isPluginActivated(id)
    );
  });
  expect(active).toEqual([true, true]);
  await expect(
    page.locator('.jp-SideBar.jp-mod-left [data-id="jp-tracker-runs"]')
  ).toHaveCount(1);

  // And opening the panel (which loads the runs) logs nothing either
  await page.sidebar.openTab('jp-tracker-runs');
  await expect(page.locator('#jp-tracker-runs')).toHaveAttribute(
    'aria-busy',
    'false'
  );

  expect(errors).toEqual([]);
});
