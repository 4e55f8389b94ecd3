/**
 * Playwright configuration for the browser tests.
 *
 * Starts from galata's defaults, runs Debian's Chromium (Playwright does not
 * download a browser here) and starts JupyterLab on a fixed port.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

/** The port set in jupyter_server_test_config.py. */
const PORT = 28888;

module.exports = {
  ...baseConfig,
  // The html reporter never opens a browser, so a failure never blocks.
  reporter: [['list'], ['html', { open: 'never' }]],
  retries: 0,
  // This machine has two cores; give JupyterLab time to answer.
  expect: { timeout: 10 * 1000 },
  workers: 1,
  use: {
    ...baseConfig.use,
    // Recording video needs Playwright's own ffmpeg build, which cannot be
    // downloaded here; traces and screenshots still explain failures.
    video: 'off',
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://127.0.0.1:${PORT}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
