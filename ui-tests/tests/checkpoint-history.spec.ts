/**
 * The checkpoint history of the current notebook and the nbdime diff view.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import {
  API_PATH,
  configuredProject,
  createRun,
  HISTORY_PANEL_ID,
  makeNotebook,
  openNotebook,
  screenshotPath,
  trackerHeaders,
  uniqueName,
  uploadCheckpoint
} from './helpers';

/** The command showing the history of the current notebook. */
const HISTORY_COMMAND = 'jupyter-tracker:checkpoint-history';

/**
 * Show the history through its command, as the Upload notification does.
 */
async function showHistory(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute(id);
  }, HISTORY_COMMAND);
  const panel = page.locator(`#${HISTORY_PANEL_ID}`);
  await expect(panel).toBeVisible();
  await expect(panel).toHaveAttribute('aria-busy', 'false');
  return panel;
}

/**
 * The row of checkpoint `number` in the history.
 */
function row(panel: Locator, number: number): Locator {
  return panel.locator(`.jp-Tracker-CheckpointItem[data-number="${number}"]`);
}

test.describe('Checkpoint history', () => {
  test('lists checkpoints newest first and diffs two of them', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook open in Lab with two checkpoints, the second with its
    // middle cell edited (and an eye on console errors)
    const errors: string[] = [];
    page.on('console', message => {
      if (message.type() === 'error') {
        errors.push(message.text());
      }
    });
    page.on('pageerror', error => errors.push(error.message));
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/train.ipynb`;
    const first = makeNotebook([
      'import math',
      "print('old line')",
      'total = sum(range(10))'
    ]);
    const second = makeNotebook([
      'import math',
      "print('new line')",
      'total = sum(range(10))'
    ]);
    await openNotebook(page, filePath, first);
    const one = await uploadCheckpoint(page, first, {
      path: filePath,
      project,
      description: 'first version'
    });
    const two = await uploadCheckpoint(page, second, {
      path: filePath,
      project,
      description: 'second version'
    });
    expect(two.number).toBe(Number(one.number) + 1);

    // When the history is shown
    const panel = await showHistory(page);

    // Then it lists both, newest first, with their numbers and descriptions
    const items = panel.locator('.jp-Tracker-CheckpointItem');
    await expect(items).toHaveCount(2);
    await expect(items.nth(0)).toHaveAttribute(
      'data-number',
      String(two.number)
    );
    await expect(items.nth(1)).toHaveAttribute(
      'data-number',
      String(one.number)
    );
    await expect(
      items.nth(0).locator('.jp-Tracker-CheckpointItem-number')
    ).toHaveText(`#${two.number}`);
    await expect(
      items.nth(0).locator('.jp-Tracker-CheckpointItem-description')
    ).toHaveText('second version');
    await expect(
      items.nth(1).locator('.jp-Tracker-CheckpointItem-number')
    ).toHaveText(`#${one.number}`);
    await expect(
      items.nth(1).locator('.jp-Tracker-CheckpointItem-description')
    ).toHaveText('first version');
    await expect(
      items.nth(0).locator('.jp-Tracker-CheckpointItem-origin')
    ).toHaveText('uploaded');
    await expect(
      panel.getByRole('button', { name: 'Compare', exact: true })
    ).toBeDisabled();

    // When the first is ticked, the second Ctrl-clicked and Compare pressed
    await panel
      .getByRole('checkbox', { name: `Select checkpoint ${one.number}` })
      .check();
    await row(panel, Number(two.number))
      .locator('.jp-Tracker-CheckpointItem-description')
      .click({ modifiers: ['ControlOrMeta'] });
    await expect(
      panel.getByRole('checkbox', { name: `Select checkpoint ${two.number}` })
    ).toBeChecked();
    await panel.getByRole('button', { name: 'Compare', exact: true }).click();

    // Then a diff view opens, titled with both numbers
    const title = `train.ipynb: checkpoint ${one.number} ↔ ${two.number}`;
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: title })
    ).toBeVisible();
    const view = page.locator('.jp-Tracker-DiffView:visible');
    const diff = view.locator('.nbdime-root .jp-Notebook-diff');
    await expect(diff).toBeVisible();
    await expect(view).toHaveAttribute('aria-busy', 'false');

    // and shows the edited cell: the old source removed on the left, the
    // new one added on the right
    const edited = diff.locator('.jp-Cell-diff.jp-Diff-twoway');
    await expect(edited).toHaveCount(1);
    const removed = edited.locator(
      '.jp-Cellrow-source .cm-diff-left-editor .cm-merge-r-chunk'
    );
    const added = edited.locator(
      '.jp-Cellrow-source .cm-diff-right-editor .cm-merge-r-chunk'
    );
    await expect(removed).toHaveText("print('old line')");
    await expect(added).toHaveText("print('new line')");
    await expect(removed.locator('.cm-merge-r-deleted')).toHaveText('old');
    await expect(added.locator('.cm-merge-r-inserted')).toHaveText('new');

    // and, with "Changed cells only" on, hides the unchanged cells
    const unchanged = diff.locator('.jp-Cell-diff.jp-Diff-unchanged');
    await expect(unchanged).toHaveCount(2);
    const toggle = page.locator('.jp-Tracker-DiffView-toggle:visible');
    await expect(
      toggle.getByRole('button', { name: 'Changed cells only' })
    ).toHaveAttribute('aria-pressed', 'true');
    await expect(unchanged.first()).toBeHidden();
    await expect(unchanged.last()).toBeHidden();
    await expect(
      diff.locator('.jp-Tracker-DiffView-unchangedMarker').first()
    ).toHaveText('1 unchanged cell hidden');

    // When "All cells" is chosen, they show, with their sources
    await toggle.getByRole('button', { name: 'All cells' }).click();
    await expect(unchanged.first()).toBeVisible();
    await expect(unchanged.first()).toContainText('import math');
    await expect(unchanged.last()).toContainText('total = sum(range(10))');
    await expect(
      diff.locator('.jp-Tracker-DiffView-unchangedMarker').first()
    ).toBeHidden();

    // and nothing was logged as an error on the way
    expect(errors).toEqual([]);
  });

  test('can be used with the keyboard alone', async ({ page, tmpPath }) => {
    // Given a notebook with two checkpoints, and its history shown
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/keys.ipynb`;
    const first = makeNotebook(['a = 1']);
    const second = makeNotebook(['a = 2']);
    await openNotebook(page, filePath, first);
    const one = await uploadCheckpoint(page, first, {
      path: filePath,
      project
    });
    const two = await uploadCheckpoint(page, second, {
      path: filePath,
      project
    });
    const panel = await showHistory(page);
    await expect(panel.locator('.jp-Tracker-CheckpointItem')).toHaveCount(2);

    // When it is activated again, the newest row's checkbox takes the focus
    await showHistory(page);
    const newest = panel.getByRole('checkbox', {
      name: `Select checkpoint ${two.number}`
    });
    await expect(newest).toBeFocused();

    // and Space, Tab, Space, Shift+Tab twice and Enter are pressed
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await expect(
      panel.getByRole('button', { name: 'Compare', exact: true })
    ).toBeFocused();
    await page.keyboard.press('Enter');

    // Then the diff of both opens
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: `keys.ipynb: checkpoint ${one.number} ↔ ${two.number}`
      })
    ).toBeVisible();
    await expect(
      page.locator('.jp-Tracker-DiffView:visible .jp-Cell-diff.jp-Diff-twoway')
    ).toHaveCount(1);
  });

  test('compares a checkpoint with the unsaved editor content', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook with one checkpoint, then edited in Lab without saving
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/live.ipynb`;
    const saved = makeNotebook(['alpha = 1', 'beta = 2']);
    await openNotebook(page, filePath, saved);
    const checkpoint = await uploadCheckpoint(page, saved, {
      path: filePath,
      project,
      description: 'saved'
    });
    await page.notebook.setCell(1, 'code', 'beta = 20000');

    // When that checkpoint is selected and compared with the editor
    const panel = await showHistory(page);
    await row(panel, Number(checkpoint.number))
      .locator('.jp-Tracker-CheckpointItem-description')
      .click();
    await panel.getByRole('button', { name: 'Compare with editor' }).click();

    // Then the diff shows the unsaved edit on the right
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: `live.ipynb: checkpoint ${checkpoint.number} ↔ editor`
      })
    ).toBeVisible();
    const view = page.locator('.jp-Tracker-DiffView:visible');
    await expect(
      view.locator('.jp-Tracker-DiffView-side.jp-mod-remote')
    ).toContainText('Editor');
    const edited = view.locator('.jp-Cell-diff.jp-Diff-twoway');
    await expect(
      edited.locator(
        '.jp-Cellrow-source .cm-diff-right-editor .cm-merge-r-chunk'
      )
    ).toHaveText('beta = 20000');
    await expect(
      edited.locator(
        '.jp-Cellrow-source .cm-diff-left-editor .cm-merge-r-chunk'
      )
    ).toHaveText('beta = 2');
  });

  test('shows the hidden-state warning of a notebook run out of order', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook whose second cell was run before its first, in Lab,
    // with a real kernel
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/out-of-order.ipynb`;
    await openNotebook(
      page,
      filePath,
      makeNotebook(['first = 1', 'second = 2'])
    );
    expect(await page.notebook.runCell(1, { inplace: true })).toBe(true);
    expect(await page.notebook.runCell(0, { inplace: true })).toBe(true);
    expect(await page.notebook.save()).toBe(true);
    const reply = await page.request.get(
      `/api/contents/${encodeURI(filePath)}?type=notebook&content=1`
    );
    const ran = (await reply.json()).content as {
      cells: Array<{ execution_count: number | null }>;
    };
    expect(ran.cells.map(cell => cell.execution_count)).toEqual([2, 1]);

    // When its JSON is stored as a checkpoint
    const checkpoint = await uploadCheckpoint(page, ran, {
      path: filePath,
      project,
      description: 'ran out of order'
    });
    const warnings = checkpoint.warnings as Array<{
      kind: string;
      message: string;
    }>;
    expect(warnings.map(w => w.kind)).toContain('out_of_order');
    const message = warnings.find(w => w.kind === 'out_of_order')!.message;
    expect(message).toMatch(/^cell \d+ ran before cell \d+$/);

    // Then the history shows the server's warning, with its icon
    const panel = await showHistory(page);
    const item = row(panel, Number(checkpoint.number));
    const warning = item.locator('.jp-Tracker-CheckpointItem-warning', {
      hasText: message
    });
    await expect(warning).toBeVisible();
    await expect(
      warning.locator('.jp-Tracker-CheckpointItem-warningMessage')
    ).toHaveText(message);
    await expect(
      warning.locator('.jp-Tracker-CheckpointItem-warningIcon svg')
    ).toBeVisible();
    await expect(item).toHaveClass(/jp-mod-warned/);
  });

  test('lists the outputs compared by hash and renders outputs inert', async ({
    page,
    tmpPath
  }) => {
    // Given two checkpoints whose image output changed, with markdown and an
    // HTML output that would run code if they were rendered trusted
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/plots.ipynb`;
    const red =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    const blue =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPj/HwADBwIAMCbHYQAAAABJRU5ErkJggg==';
    const build = (png: string, html: string) => {
      const nb = makeNotebook([['plot()', 1]]);
      const cells = nb.cells as Array<{ [key: string]: unknown }>;
      cells[0].outputs = [
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'image/png': png, 'text/plain': '<Figure>' }
        },
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'text/html': html, 'text/plain': 'table' }
        }
      ];
      nb.cells = [
        {
          cell_type: 'markdown',
          id: 'note',
          metadata: {},
          source: 'Plots <img src=x onerror="window.__pwned=2">'
        },
        ...cells
      ];
      return nb;
    };
    const first = build(red, '<b>v1</b>');
    const second = build(
      blue,
      '<b>v2</b><img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script>'
    );
    await openNotebook(page, filePath, first);
    const one = await uploadCheckpoint(page, first, {
      path: filePath,
      project
    });
    const two = await uploadCheckpoint(page, second, {
      path: filePath,
      project
    });

    // When the diff of the two is opened through the command, all cells shown
    await page.evaluate(
      async args => {
        await window.jupyterapp.commands.execute(
          'jupyter-tracker:diff-checkpoints',
          args
        );
      },
      {
        path: filePath,
        base: Number(one.number),
        remote: Number(two.number),
        project
      }
    );
    const view = page.locator('.jp-Tracker-DiffView:visible');
    await expect(view.locator('.jp-Notebook-diff')).toBeVisible();
    await expect(view).toHaveAttribute('aria-busy', 'false');
    await page
      .locator('.jp-Tracker-DiffView-toggle:visible')
      .getByRole('button', { name: 'All cells' })
      .click();

    // Then the note names the image output, 1-based, as compared by hash
    const note = view.locator('.jp-Tracker-DiffView-summarised');
    await expect(note).toBeVisible();
    await expect(
      note.locator('.jp-Tracker-DiffView-summarised-item').first()
    ).toHaveText(/^cell 2, output 1 \(image\/png, \d+ B\) compared by hash$/);

    // and the outputs and markdown are shown, with nothing in them run
    await expect(
      view.locator('.jp-Diff-outputsContainer img').first()
    ).toBeVisible();
    await expect(view).toContainText('v2');
    await expect(view.locator('script')).toHaveCount(0);
    await view.screenshot({
      path: screenshotPath('diff-summarised-light.png'),
      animations: 'disabled'
    });
    expect(
      await page.evaluate(
        () => (window as unknown as { __pwned?: number }).__pwned
      )
    ).toBeUndefined();
  });

  test('renders a description as text, never as HTML', async ({
    page,
    tmpPath
  }) => {
    // Given a checkpoint whose description is markup with a script in it
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/inert.ipynb`;
    const notebook = makeNotebook(['x = 1']);
    const description = '<img src=x onerror="window.__pwned=1">';
    await openNotebook(page, filePath, notebook);
    const checkpoint = await uploadCheckpoint(page, notebook, {
      path: filePath,
      project,
      description
    });

    // When the history is shown
    const panel = await showHistory(page);

    // Then the description reads as the text it is, and nothing ran
    await expect(
      row(panel, Number(checkpoint.number)).locator(
        '.jp-Tracker-CheckpointItem-description'
      )
    ).toHaveText(description);
    await expect(panel.locator('img')).toHaveCount(0);
    expect(
      await page.evaluate(
        () => (window as unknown as { __pwned?: number }).__pwned
      )
    ).toBeUndefined();
  });

  test('says when a notebook has no checkpoints yet', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook never uploaded
    await openNotebook(page, `${tmpPath}/fresh.ipynb`, makeNotebook(['y = 2']));

    // When the history is shown
    const panel = await showHistory(page);

    // Then it says there are none, and how to make one
    await expect(panel.locator('.jp-Tracker-EmptyState')).toContainText(
      'No checkpoints yet'
    );
    await expect(panel.locator('.jp-Tracker-CheckpointItem')).toHaveCount(0);
    await expect(
      panel.getByRole('button', { name: 'Compare with editor' })
    ).toBeHidden();
  });

  test('screenshots of the history and the diff in light and dark theme', async ({
    page,
    tmpPath
  }) => {
    // Given a notebook with three checkpoints: an edit, a new output and
    // cells run out of order
    const project = await configuredProject(page);
    const filePath = `${tmpPath}/train.ipynb`;
    const markdown = {
      cell_type: 'markdown',
      id: 'intro',
      metadata: {},
      source: '# Training\nA small model on the iris data.'
    };
    const build = (
      lr: string,
      counts: [number, number, number],
      out: string
    ) => {
      const nb = makeNotebook([
        [
          'from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)',
          counts[0]
        ],
        [
          `model = LogisticRegression(C=${lr}, max_iter=200)\nmodel.fit(X, y)`,
          counts[1]
        ],
        ['print(f"accuracy: {model.score(X, y):.3f}")', counts[2]]
      ]);
      const cells = nb.cells as Array<{ [key: string]: unknown }>;
      cells[2].outputs = [
        { name: 'stdout', output_type: 'stream', text: `accuracy: ${out}\n` }
      ];
      nb.cells = [markdown, ...cells];
      return nb;
    };
    const v1 = build('1.0', [1, 2, 3], '0.973');
    const v2 = build('0.1', [1, 2, 3], '0.953');
    const v3 = build('0.1', [4, 2, 3], '0.953');
    await openNotebook(page, filePath, v1);
    const one = await uploadCheckpoint(page, v1, {
      path: filePath,
      project,
      description: 'baseline'
    });
    const two = await uploadCheckpoint(page, v2, {
      path: filePath,
      project,
      description: 'stronger regularisation'
    });
    const run = await createRun(page, { project, name: uniqueName('iris') });
    const three = await uploadCheckpoint(page, v3, {
      path: filePath,
      project,
      description: 'reloaded the data',
      runId: String(run.id)
    });
    await page.setViewportSize({ width: 1400, height: 860 });
    await page.sidebar.close('left');

    // When the history is shown, two rows selected, in both themes
    const panel = await showHistory(page);
    await expect(panel.locator('.jp-Tracker-CheckpointItem')).toHaveCount(3);
    await expect(
      row(panel, Number(three.number)).locator('.jp-Tracker-CheckpointItem-run')
    ).toHaveText([String(run.id)]);
    await panel
      .getByRole('checkbox', { name: `Select checkpoint ${one.number}` })
      .check();
    await panel
      .getByRole('checkbox', { name: `Select checkpoint ${two.number}` })
      .check();
    await page.theme.setLightTheme();
    await panel.screenshot({
      path: screenshotPath('history-light.png'),
      animations: 'disabled'
    });
    await page.theme.setDarkTheme();
    await panel.screenshot({
      path: screenshotPath('history-dark.png'),
      animations: 'disabled'
    });

    // and the diff of the two is opened
    await panel.getByRole('button', { name: 'Compare', exact: true }).click();
    const view = page.locator('.jp-Tracker-DiffView:visible');
    await expect(view.locator('.jp-Notebook-diff')).toBeVisible();
    await expect(view).toHaveAttribute('aria-busy', 'false');
    await expect(view.locator('.jp-Cell-diff.jp-Diff-twoway')).toHaveCount(2);
    await page.screenshot({
      path: screenshotPath('diff-view-dark.png'),
      animations: 'disabled'
    });
    await page.theme.setLightTheme();
    await page.screenshot({
      path: screenshotPath('diff-view-light.png'),
      animations: 'disabled'
    });

    // Then the edited source and the changed output are on the page
    await expect(
      view.locator('.jp-Cellrow-source .cm-diff-right-editor .cm-merge-r-chunk')
    ).toContainText('C=0.1');
    await expect(view).toContainText('accuracy: 0.953');
  });
});

test.describe('Checkpoint history API errors', () => {
  test('shows the error of a failed diff in the view', async ({ page }) => {
    // Given a checkpoint number that does not exist
    const headers = await trackerHeaders(page);
    const response = await page.request.get(
      `${API_PATH}/notebooks/diff?path=missing.ipynb&base=1&remote=2`,
      { headers }
    );
    expect(response.ok()).toBe(false);

    // When a diff of it is opened through the command
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute(
        'jupyter-tracker:diff-checkpoints',
        { path: 'missing.ipynb', base: 1, remote: 2 }
      );
    });

    // Then the view says why, as an alert
    const status = page.locator(
      '.jp-Tracker-DiffView:visible .jp-Tracker-DiffView-status'
    );
    await expect(status).toHaveAttribute('role', 'alert');
    await expect(status).not.toBeEmpty();
  });
});
