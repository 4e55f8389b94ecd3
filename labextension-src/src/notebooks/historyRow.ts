/**
 * One row of the checkpoint history: checkbox, number, description, size,
 * author, time, origin, runs and hidden-state warnings.
 */

import { CheckpointOrigin, ICheckpoint, IHiddenStateWarning } from '../api';
import { warningIcon } from '../icons';
import { element } from './dom';
import { formatDate, formatSize } from './format';

/**
 * The class of one checkpoint row.
 */
export const CHECKPOINT_ITEM_CLASS = 'jp-Tracker-CheckpointItem';

/**
 * The class of a row's checkbox label.
 */
export const CHECKPOINT_SELECT_CLASS = 'jp-Tracker-CheckpointItem-select';

/**
 * The class of a row's text column.
 */
const MAIN_CLASS = 'jp-Tracker-CheckpointItem-main';

/**
 * The class of a row's first line (number, description, size).
 */
const HEAD_CLASS = 'jp-Tracker-CheckpointItem-head';

/**
 * The class of the checkpoint number.
 */
const NUMBER_CLASS = 'jp-Tracker-CheckpointItem-number';

/**
 * The class of the description.
 */
const DESCRIPTION_CLASS = 'jp-Tracker-CheckpointItem-description';

/**
 * The class of the size.
 */
const SIZE_CLASS = 'jp-Tracker-CheckpointItem-size';

/**
 * The class of a row's second line (author, time, origin).
 */
const META_CLASS = 'jp-Tracker-CheckpointItem-meta';

/**
 * The class of the author.
 */
const AUTHOR_CLASS = 'jp-Tracker-CheckpointItem-author';

/**
 * The class of the creation time.
 */
const TIME_CLASS = 'jp-Tracker-CheckpointItem-time';

/**
 * The class of the origin label.
 */
const ORIGIN_CLASS = 'jp-Tracker-CheckpointItem-origin';

/**
 * The class of the line listing the runs.
 */
const RUNS_CLASS = 'jp-Tracker-CheckpointItem-runs';

/**
 * The class of one run id.
 */
const RUN_CLASS = 'jp-Tracker-CheckpointItem-run';

/**
 * The class of the hidden-state warning list.
 */
const WARNINGS_CLASS = 'jp-Tracker-CheckpointItem-warnings';

/**
 * The class of one hidden-state warning.
 */
const WARNING_CLASS = 'jp-Tracker-CheckpointItem-warning';

/**
 * The class of a warning's icon.
 */
const WARNING_ICON_CLASS = 'jp-Tracker-CheckpointItem-warningIcon';

/**
 * The class of a warning's message.
 */
const WARNING_MESSAGE_CLASS = 'jp-Tracker-CheckpointItem-warningMessage';

/**
 * The modifier of a selected row.
 */
const SELECTED_MOD = 'jp-mod-selected';

/**
 * The modifier of a row with hidden-state warnings.
 */
const WARNED_MOD = 'jp-mod-warned';

/**
 * How each origin is shown.
 */
export const ORIGIN_LABELS: { [origin in CheckpointOrigin]: string } = {
  upload: 'uploaded',
  editor: 'from the editor',
  disk: 'from disk'
};

/**
 * Create the row of one checkpoint; its number is in `data-number`.
 */
export function renderCheckpointRow(checkpoint: ICheckpoint): HTMLLIElement {
  const item = element('li', CHECKPOINT_ITEM_CLASS);
  item.dataset.number = String(checkpoint.number);
  item.dataset.origin = checkpoint.origin;

  const select = element('label', CHECKPOINT_SELECT_CLASS);
  const checkbox = element('input', '');
  checkbox.type = 'checkbox';
  checkbox.setAttribute('aria-label', `Select checkpoint ${checkpoint.number}`);
  select.append(checkbox);

  const main = element('div', MAIN_CLASS);

  const head = element('div', HEAD_CLASS);
  const number = element('span', NUMBER_CLASS, `#${checkpoint.number}`);
  number.title = `Checkpoint ${checkpoint.number}`;
  const description = element(
    'span',
    DESCRIPTION_CLASS,
    checkpoint.description || 'No description'
  );
  if (checkpoint.description) {
    description.title = checkpoint.description;
  } else {
    description.classList.add('jp-mod-empty');
  }
  const size = element('span', SIZE_CLASS, formatSize(checkpoint.size));
  size.title = `${checkpoint.size.toLocaleString()} bytes`;
  head.append(number, description, size);

  const meta = element('div', META_CLASS);
  const author = element('span', AUTHOR_CLASS, checkpoint.author);
  const time = element('time', TIME_CLASS, formatDate(checkpoint.created_at));
  time.dateTime = checkpoint.created_at;
  const origin = element(
    'span',
    ORIGIN_CLASS,
    ORIGIN_LABELS[checkpoint.origin] ?? checkpoint.origin
  );
  meta.append(author, time, origin);

  main.append(head, meta);

  const runs =
    checkpoint.runs ?? (checkpoint.run_id ? [checkpoint.run_id] : []);
  if (runs.length > 0) {
    const line = element('div', RUNS_CLASS);
    line.append(
      element('span', `${RUNS_CLASS}-label`, runs.length === 1 ? 'Run' : 'Runs')
    );
    for (const id of runs) {
      line.append(element('span', RUN_CLASS, id));
    }
    main.append(line);
  }

  const warnings = checkpoint.warnings ?? [];
  if (warnings.length > 0) {
    item.classList.add(WARNED_MOD);
    main.append(Private.renderWarnings(warnings));
  }

  item.title = Private.tooltip(checkpoint);
  item.append(select, main);
  return item;
}

/**
 * The number of the checkpoint row holding `node`, or `null`.
 */
export function checkpointRowNumber(node: Element): number | null {
  const row = node.closest<HTMLElement>(`.${CHECKPOINT_ITEM_CLASS}`);
  const value = Number(row?.dataset.number);
  return row && Number.isInteger(value) ? value : null;
}

/**
 * Tick the checkboxes and mark the rows of the selection in a list of rows.
 */
export function renderRowSelection(
  list: HTMLElement,
  selection: ReadonlyArray<number>
): void {
  for (const row of Array.from(
    list.querySelectorAll<HTMLElement>(`.${CHECKPOINT_ITEM_CLASS}`)
  )) {
    const selected = selection.includes(Number(row.dataset.number));
    row.classList.toggle(SELECTED_MOD, selected);
    row.setAttribute('aria-selected', String(selected));
    const checkbox = row.querySelector<HTMLInputElement>(
      'input[type="checkbox"]'
    );
    if (checkbox) {
      checkbox.checked = selected;
    }
  }
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * The hidden-state warnings of a checkpoint, each with an icon.
   */
  export function renderWarnings(
    warnings: ReadonlyArray<IHiddenStateWarning>
  ): HTMLElement {
    const list = element('ul', WARNINGS_CLASS);
    list.setAttribute('aria-label', 'Hidden-state warnings');
    for (const warning of warnings) {
      const entry = element('li', WARNING_CLASS);
      entry.dataset.kind = warning.kind;
      const icon = warningIcon.element({
        tag: 'span',
        className: WARNING_ICON_CLASS
      });
      icon.setAttribute('aria-hidden', 'true');
      const message = element('span', WARNING_MESSAGE_CLASS, warning.message);
      entry.append(icon, message);
      list.append(entry);
    }
    return list;
  }

  /**
   * The hover text of a row.
   */
  export function tooltip(checkpoint: ICheckpoint): string {
    const lines = [`Checkpoint ${checkpoint.number} of ${checkpoint.path}`];
    if (checkpoint.description) {
      lines.push(checkpoint.description);
    }
    lines.push(
      `Saved by ${checkpoint.author}, ${formatDate(checkpoint.created_at)}`
    );
    lines.push(`SHA-256: ${checkpoint.sha256}`);
    return lines.join('\n');
  }
}
