/**
 * The notebook toolbar's Configure, Upload and Download, and the checkpoint a
 * run started from an unsaved notebook links to.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  callTracker,
  configuredProject,
  HISTORY_PANEL_ID,
  makeNotebook,
  openNotebook,
  screenshotPath,
  uniqueName,
  uploadCheckpoint
} from './helpers';

/**
 * A button of the current notebook's toolbar, by its accessible name.
 */
function toolbarButton(page: IJupyterLabPageFixture, name: string): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar')
    .getByRole('button', { name, exact: true });
}

/**
 * The source of a notebook's cells, as the contents API has it on disk.
 */
async function sourcesOnDisk(
  page: IJupyterLabPageFixture,
  filePath: string
): Promise<string[]> {
  const response = await page.request.get(
    `/api/contents/${filePath.split('/').map(encodeURIComponent).join('/')}`
  );
  expect(response.status()).toBe(200);
  const model = await response.json();
  return model.content.cells.map(sourceOf);
}

/**
 * A cell's source as one string (nbformat also allows a list of lines).
 */
function sourceOf(cell: { source: string | string[] }): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/**
 * Upload the current notebook with the toolbar button and a description;
 * return the notification toast.
 */
async function uploadWithButton(
  page: IJupyterLabPageFixture,
  description: string,
  expected: string
): Promise<Locator> {
  await toolbarButton(page, 'Upload').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-Dialog-header')).toHaveText(
    'Upload checkpoint'
  );
  await dialog.locator('input').fill(description);
  await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  const toast = page.locator('.jp-Notification-Toast-success', {
    hasText: expected
  });
  await expect(toast).toBeVisible();
  return toast;
}

test.describe('Notebook toolbar', () => {
  // Wide enough for the toolbar to show every button (narrower, Lab moves
  // the last ones into its "More commands" menu).
  test.use({ viewport: { width: 1280, height: 800 } });

  test.afterEach(async ({ page }) => {
    // Leave the settings as a fresh server has them, for the other tests.
    await callTracker(page, 'PUT', 'config', {
      data: { url: '', api_token: '', project: 'sandbox' }
    });
  });

  test('has Configure, Upload and Download, also in the palette', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook open in Lab
    await openNotebook(page, `${tmpPath}/buttons.ipynb`, makeNotebook(['1']));

    // Then its toolbar shows the three buttons by their accessible names
    for (const name of ['Configure', 'Upload', 'Download']) {
      await expect(toolbarButton(page, name)).toBeVisible();
      await expect(toolbarButton(page, name)).toHaveAttribute(
        'aria-label',
        name
      );
    }

    // And the palette lists the commands under "Tracker"
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette.locator('input').fill('Tracker');
    await expect(palette.locator('.lm-CommandPalette-header')).toContainText([
      'Tracker'
    ]);
    const labels: { [command: string]: string } = {
      'jupyter-tracker:configure': 'Configure Tracker…',
      'jupyter-tracker:upload-checkpoint': 'Upload Notebook Checkpoint',
      'jupyter-tracker:download-checkpoint': 'Download Notebook Checkpoint…'
    };
    for (const [command, label] of Object.entries(labels)) {
      await expect(
        palette.locator(
          `.lm-CommandPalette-item[data-command="${command}"] .lm-CommandPalette-itemLabel`
        )
      ).toHaveText(label);
    }
    await page.keyboard.press('Escape');
  });

  test('Configure checks a token: a wrong one is refused in the dialog, a good one saved', async ({
    page,
    tmpPath
  }) => {
    // Given a token created through the API, and what the server says of a
    // wrong one
    const created = await callTracker(page, 'POST', 'tokens', {
      data: { name: uniqueName('laptop'), projects: null }
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.token;
    const wrong = 'jtt_' + 'x'.repeat(40);
    const refusal = await callTracker(page, 'PUT', 'config', {
      data: { url: '', api_token: wrong, project: 'sandbox' }
    });
    expect(refusal.status).toBe(400);
    expect(refusal.body.field).toBe('api_token');
    await openNotebook(page, `${tmpPath}/configure.ipynb`, makeNotebook(['']));

    // When the wrong token is saved in the Configure dialog
    await toolbarButton(page, 'Configure').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText(
      'Configure tracker'
    );
    const token = dialog.getByLabel('API token', { exact: true });
    await expect(token).toHaveAttribute('type', 'password');
    await token.fill(wrong);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();

    // Then the dialog stays open with the server's message, naming the field
    const status = dialog.locator(
      '.jp-Tracker-Configure > .jp-Tracker-Configure-status'
    );
    await expect(status).toHaveText(`API token: ${refusal.body.message}`);
    await expect(status).toHaveAttribute('role', 'alert');
    await expect(token).toHaveAttribute('aria-invalid', 'true');

    // When the good token is saved instead
    await token.fill(secret);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();

    // Then the dialog says it was accepted, and the server keeps it
    const me = await callTracker(page, 'GET', 'me');
    await expect(status).toHaveText(
      `Saved. The token was accepted by this Jupyter server (user ${me.body.user}).`
    );
    const config = await callTracker(page, 'GET', 'config');
    expect(config.body.api_token_set).toBe(true);
    expect(config.body.api_token_hint).toBe(`jtt_…${secret.slice(-4)}`);
    await expect(token).toHaveValue('');
    await expect(token).toHaveAttribute(
      'placeholder',
      `jtt_…${secret.slice(-4)} is stored; type a new one to replace it`
    );
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(dialog).toHaveCount(0);
  });

  test('Configure creates a token, shows it once, and revokes it', async ({
    page,
    tmpPath
  }) => {
    // Given the Configure dialog
    await openNotebook(page, `${tmpPath}/tokens.ipynb`, makeNotebook(['']));
    await toolbarButton(page, 'Configure').click();
    const dialog = page.locator('.jp-Dialog');
    const section = dialog.getByRole('region', { name: 'API tokens' });

    // When a token is created there (its name written as markup)
    const name = `<b>${uniqueName('gpu-box')}</b>`;
    await section.getByLabel('New token name').fill(name);
    await section.getByRole('button', { name: 'Create token' }).click();

    // Then its secret shows once, with a Copy button, and it is listed with
    // its name as text
    const secret = section.locator('.jp-Tracker-Tokens-secret code');
    await expect(secret).toHaveText(/^jtt_[A-Za-z0-9_-]+$/);
    await expect(section.getByRole('button', { name: 'Copy' })).toBeVisible();
    const tokens = await callTracker(page, 'GET', 'tokens');
    const listed = tokens.body.tokens.find(
      (t: { name: string }) => t.name === name
    );
    expect((await secret.textContent())!.startsWith(listed.prefix)).toBe(true);
    const row = section.locator(
      `.jp-Tracker-Tokens-item[data-token-id="${listed.id}"]`
    );
    await expect(row.locator('.jp-Tracker-Tokens-itemName')).toHaveText(name);
    await expect(row.locator('b')).toHaveCount(0);

    // And the token this server gives its kernels is listed too, with a note
    // instead of a Revoke button, while the new token's row has one
    const kernels = tokens.body.tokens.find(
      (t: { name: string }) => t.name === 'JupyterLab kernels'
    );
    expect(kernels).toBeDefined();
    const kernelsRow = section.locator('.jp-Tracker-Tokens-kernelsItem');
    await expect(kernelsRow).toHaveCount(1);
    await expect(kernelsRow).toHaveAttribute(
      'data-token-id',
      String(kernels.id)
    );
    await expect(kernelsRow.locator('.jp-Tracker-Tokens-itemName')).toHaveText(
      'JupyterLab kernels'
    );
    await expect(kernelsRow.getByRole('button')).toHaveCount(0);
    await expect(
      kernelsRow.locator('.jp-Tracker-Tokens-kernelsNote')
    ).toHaveText("used by this server's kernels");
    await expect(row).not.toHaveClass(/jp-Tracker-Tokens-kernelsItem/);
    await expect(
      row.getByRole('button', { name: `Revoke token ${name}` })
    ).toBeVisible();

    // When it is revoked (two clicks: the first asks to confirm)
    const revoke = row.getByRole('button', { name: `Revoke token ${name}` });
    await revoke.click();
    await expect(revoke).toHaveText('Confirm revoke');
    await revoke.click();

    // Then it leaves the list and the server has it revoked
    await expect(row).toHaveCount(0);
    const after = await callTracker(page, 'GET', 'tokens');
    const revoked = after.body.tokens.find(
      (t: { id: number }) => t.id === listed.id
    );
    expect(revoked.revoked_at).not.toBeNull();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  });

  test('Upload twice with an edit between stores checkpoints 1 and 2', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook open in Lab
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/upload.ipynb`;
    await openNotebook(page, filePath, makeNotebook(['x = 1']));

    // When it is uploaded, edited, and uploaded again
    const first = await uploadWithButton(
      page,
      'first version',
      `Checkpoint 1 of ${filePath} stored`
    );
    await expect(
      first.getByRole('button', { name: 'Show history' })
    ).toBeVisible();
    await page.notebook.setCell(0, 'code', 'x = 2');
    const second = await uploadWithButton(
      page,
      'second version',
      `Checkpoint 2 of ${filePath} stored`
    );

    // And the notification's button opens the notebook's history, which
    // lists both, newest first
    await second.getByRole('button', { name: 'Show history' }).click();
    const panel = page.locator(`#${HISTORY_PANEL_ID}`);
    await expect(panel).toBeVisible();
    const items = panel.locator('.jp-Tracker-CheckpointItem');
    await expect(items).toHaveCount(2);
    await expect(items.nth(0)).toHaveAttribute('data-number', '2');
    await expect(items.nth(1)).toHaveAttribute('data-number', '1');
    await expect(
      items.locator('.jp-Tracker-CheckpointItem-description')
    ).toHaveText(['second version', 'first version']);

    // And comparing the two shows the edit: x = 1 removed, x = 2 added
    await panel.getByRole('checkbox', { name: 'Select checkpoint 1' }).check();
    await panel.getByRole('checkbox', { name: 'Select checkpoint 2' }).check();
    await panel.getByRole('button', { name: 'Compare', exact: true }).click();
    const view = page.locator('.jp-Tracker-DiffView:visible');
    const diff = view.locator('.nbdime-root .jp-Notebook-diff');
    await expect(diff).toBeVisible();
    await expect(view).toHaveAttribute('aria-busy', 'false');
    await expect(
      diff.locator('.jp-Cellrow-source .cm-diff-left-editor .cm-merge-r-chunk')
    ).toHaveText('x = 1');
    await expect(
      diff.locator('.jp-Cellrow-source .cm-diff-right-editor .cm-merge-r-chunk')
    ).toHaveText('x = 2');

    // Then the tracker has both, the second with the edited source, and the
    // notebook got an id before its first upload (saved to disk too)
    const listed = await callTracker(page, 'GET', 'notebooks/checkpoints', {
      params: { project, path: filePath }
    });
    expect(listed.status).toBe(200);
    const checkpoints = listed.body.checkpoints;
    expect(checkpoints.map((c: { number: number }) => c.number)).toEqual([
      2, 1
    ]);
    expect(
      checkpoints.map((c: { description: string }) => c.description)
    ).toEqual(['second version', 'first version']);
    expect(checkpoints.map((c: { origin: string }) => c.origin)).toEqual([
      'upload',
      'upload'
    ]);
    const content = await callTracker(
      page,
      'GET',
      'notebooks/checkpoints/content',
      {
        params: { project, path: filePath, number: 2 }
      }
    );
    expect(content.body.cells.map(sourceOf)).toEqual(['x = 2']);
    const id = content.body.metadata.jupyter_tracker.notebook_id;
    expect(id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    );
    expect(checkpoints[0].notebook_id).toBe(id);
    expect(checkpoints[1].notebook_id).toBe(id);
    expect(await sourcesOnDisk(page, filePath)).toEqual(['x = 2']);

    // And uploading it unchanged, back in its tab (not the diff's, whose
    // title starts with the same name), says so
    await page
      .locator('#jp-main-dock-panel')
      .getByRole('tab', { name: 'upload.ipynb', exact: true })
      .click();
    await toolbarButton(page, 'Upload').click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Upload', exact: true })
      .click();
    await expect(
      page.locator('.jp-Notification-Toast-info', {
        hasText: `${filePath} unchanged since checkpoint 2`
      })
    ).toBeVisible();
  });

  test('Download opens checkpoint 1 as a new file beside the notebook', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook with two checkpoints, edited since
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/model.ipynb`;
    await uploadCheckpoint(page, makeNotebook(['v = 1']), {
      project,
      path: filePath,
      description: 'baseline'
    });
    await uploadCheckpoint(page, makeNotebook(['v = 2']), {
      project,
      path: filePath,
      description: 'tuned'
    });
    await openNotebook(page, filePath, makeNotebook(['v = 3']));

    // When checkpoint 1 is chosen in the Download dialog
    await toolbarButton(page, 'Download').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-Dialog-header')).toHaveText(
      'Download checkpoint'
    );
    const body = dialog.locator('.jp-Tracker-Download');
    await expect(body).toHaveAttribute('aria-busy', 'false');
    await expect(body.getByLabel('Project')).toHaveValue(project);
    await expect(body.getByLabel('Notebook')).toHaveValue(filePath);
    const rows = body.locator('.jp-Tracker-Download-checkpoint');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0).locator('td').nth(1)).toHaveText('2');
    await expect(rows.nth(0).locator('td').nth(4)).toHaveText('tuned');
    await expect(rows.nth(1).locator('td').nth(4)).toHaveText('baseline');
    await expect(rows.nth(1).locator('td').nth(5)).toHaveText('0 runs');
    await body.getByRole('radio', { name: 'Checkpoint 1' }).check();
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();

    // Then it opens as model@1.ipynb with checkpoint 1's source, and the
    // notebook itself is untouched
    await expect(page.activity.getTabLocator('model@1.ipynb')).toBeVisible();
    await expect.poll(() => page.notebook.getCellTextInput(0)).toBe('v = 1');
    expect(await sourcesOnDisk(page, `${tmpPath}/model@1.ipynb`)).toEqual([
      'v = 1'
    ]);
    expect(await sourcesOnDisk(page, filePath)).toEqual(['v = 3']);

    // And downloading it again never overwrites: model@1-1.ipynb
    await page.notebook.activate('model.ipynb');
    await toolbarButton(page, 'Download').click();
    await expect(body).toHaveAttribute('aria-busy', 'false');
    await body.getByRole('radio', { name: 'Checkpoint 1' }).check();
    await dialog.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.activity.getTabLocator('model@1-1.ipynb')).toBeVisible();
    expect(await sourcesOnDisk(page, `${tmpPath}/model@1-1.ipynb`)).toEqual([
      'v = 1'
    ]);
  });

  test('a run started from an unsaved notebook links the notebook as edited', async ({
    page,
    tmpPath
  }) => {
    // Given a saved notebook, edited in Lab without saving: a new cell that
    // starts a run
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/experiment.ipynb`;
    await openNotebook(page, filePath, makeNotebook(['seed = 42']));
    const code =
      "import jupyter_tracker as tracker; tracker.init(); exp = tracker.create_experiment(name='x')";
    await page.notebook.addCell('code', code);

    // When the cell runs
    await page.notebook.runCell(1, true);

    // Then its output says which run started, and which checkpoint holds it
    const note = page.locator('.jp-Tracker-RunStarted');
    await expect(note).toHaveAttribute('data-checkpoint', /^\d+$/, {
      timeout: 30_000
    });
    const runId = (await note.getAttribute('data-run-id'))!;
    const number = Number(await note.getAttribute('data-checkpoint'));
    await expect(note).toHaveText(
      `Run ${runId} started in project ${project} · checkpoint ${number}`
    );

    // And the run links that checkpoint: the editor's content, with the new
    // cell, and names that cell (read from the page) as the one that started it
    const cellId = await page.evaluate(() => {
      const panel = window.jupyterapp.shell.currentWidget as any;
      return panel.content.model.cells.get(1).id as string;
    });
    const run = await callTracker(page, 'GET', `runs/${runId}`);
    expect(run.status).toBe(200);
    expect(run.body.checkpoint.number).toBe(number);
    expect(run.body.checkpoint.origin).toBe('editor');
    expect(run.body.checkpoint.path).toBe(filePath);
    expect(run.body.notebook.cell_id).toBe(cellId);
    expect(run.body.notebook.path).toBe(filePath);
    const content = await callTracker(
      page,
      'GET',
      'notebooks/checkpoints/content',
      {
        params: { project, path: filePath, number }
      }
    );
    const cells = content.body.cells.map(
      (c: { id: string; source: string | string[] }) => [c.id, sourceOf(c)]
    );
    expect(cells).toEqual([
      ['cell-1', 'seed = 42'],
      [cellId, code]
    ]);

    // While the file on disk still lacks the cell
    expect(await sourcesOnDisk(page, filePath)).toEqual(['seed = 42']);
  });

  test('the run note shows the hidden-state warnings of its checkpoint', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook whose two cells ran out of order (cell 2, then cell 1)
    const filePath = `${tmpPath}/order.ipynb`;
    await openNotebook(page, filePath, makeNotebook(['a = 1', 'b = 2']));
    await page.notebook.runCell(1, true);
    await page.notebook.runCell(0, true);

    // When a third cell starts a run
    await page.notebook.addCell(
      'code',
      "import jupyter_tracker as tracker; tracker.init(); exp = tracker.create_experiment(name='ooo')"
    );
    await page.notebook.runCell(2, true);

    // Then the note under it lists the warnings the server stored with the
    // run's checkpoint, as text
    const note = page.locator('.jp-Tracker-RunStarted');
    await expect(note).toHaveAttribute('data-checkpoint', /^\d+$/, {
      timeout: 30_000
    });
    const runId = (await note.getAttribute('data-run-id'))!;
    const run = await callTracker(page, 'GET', `runs/${runId}`);
    expect(run.status).toBe(200);
    const messages: string[] = run.body.checkpoint.warnings.map(
      (w: { message: string }) => w.message
    );
    expect(messages.length).toBeGreaterThan(0);
    const warnings = note.locator('.jp-Tracker-RunStarted-warnings');
    await expect(warnings.locator('li')).toHaveText(messages);
    await expect(warnings.locator('svg')).toHaveCount(messages.length);
  });

  test('screenshots in light and dark theme', async ({ page, tmpPath }) => {
    // Given a notebook with two checkpoints, whose cell started a run
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/screens.ipynb`;
    await uploadCheckpoint(page, makeNotebook(['lr = 0.1']), {
      project,
      path: filePath,
      description: 'baseline'
    });
    await openNotebook(page, filePath, makeNotebook(['lr = 0.01']));
    await page.notebook.addCell(
      'code',
      "import jupyter_tracker as tracker; tracker.init(); exp = tracker.create_experiment(name='lr-sweep')"
    );
    await page.notebook.runCell(1, true);
    await expect(page.locator('.jp-Tracker-RunStarted')).toHaveAttribute(
      'data-checkpoint',
      /^\d+$/,
      { timeout: 30_000 }
    );

    for (const theme of ['light', 'dark']) {
      // When the notebook, the Configure and the Download dialogs are shown
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      } else {
        await page.theme.setLightTheme();
      }
      await toolbarButton(page, 'Upload').click();
      await page
        .locator('.jp-Dialog')
        .getByRole('button', { name: 'Upload', exact: true })
        .click();
      await expect(
        page
          .locator(
            '.jp-Notification-Toast-success, .jp-Notification-Toast-info'
          )
          .last()
      ).toBeVisible();
      await page.screenshot({
        path: screenshotPath(`notebook-toolbar-${theme}.png`),
        animations: 'disabled'
      });

      await toolbarButton(page, 'Configure').click();
      const dialog = page.locator('.jp-Dialog');
      await expect(dialog.locator('.jp-Tracker-Configure')).toBeVisible();
      await dialog.getByLabel('API token', { exact: true }).fill('jtt_wrong');
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(
        dialog.locator('.jp-Tracker-Configure-status.jp-mod-failed').first()
      ).toBeVisible();
      await dialog.locator('.jp-Dialog-content').screenshot({
        path: screenshotPath(`configure-${theme}.png`),
        animations: 'disabled'
      });
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();

      await toolbarButton(page, 'Download').click();
      await expect(dialog.locator('.jp-Tracker-Download')).toHaveAttribute(
        'aria-busy',
        'false'
      );
      await expect(
        dialog.locator('.jp-Tracker-Download-checkpoint')
      ).not.toHaveCount(0);
      await dialog.locator('.jp-Dialog-content').screenshot({
        path: screenshotPath(`download-${theme}.png`),
        animations: 'disabled'
      });
      await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    }

    // Then the buttons are still there in the dark theme (the images are
    // for people to look at)
    expect(await page.theme.getTheme()).toBe('JupyterLab Dark');
    await expect(toolbarButton(page, 'Upload')).toBeVisible();
  });
});
