/**
 * The lines above a checkpoint diff: the header naming both sides, and the
 * note listing the outputs compared by hash.
 */

import { ICheckpoint, INotebookDiffReply, ISummarisedOutput } from '../api';
import { warningIcon } from '../icons';
import { CheckpointDiffModel } from './diffModel';
import { element } from './dom';
import { formatDate, formatSize } from './format';

/**
 * The class of the header naming both sides.
 */
export const DIFF_HEADER_CLASS = 'jp-Tracker-DiffView-header';

/**
 * The class of one side in the header.
 */
const SIDE_CLASS = 'jp-Tracker-DiffView-side';

/**
 * The class of a side's title.
 */
const SIDE_TITLE_CLASS = 'jp-Tracker-DiffView-sideTitle';

/**
 * The class of a side's details (author, time, description).
 */
const SIDE_META_CLASS = 'jp-Tracker-DiffView-sideMeta';

/**
 * The class of a side's hidden-state warning.
 */
const SIDE_WARNING_CLASS = 'jp-Tracker-DiffView-sideWarning';

/**
 * The class of the note listing the outputs compared by hash.
 */
export const DIFF_SUMMARISED_CLASS = 'jp-Tracker-DiffView-summarised';

/**
 * Name both sides: number, author, time, description and warnings.
 */
export function renderDiffHeader(
  node: HTMLElement,
  reply: INotebookDiffReply,
  request: CheckpointDiffModel.IRequest
): void {
  const base = Private.renderSide(
    'base',
    `Checkpoint ${request.base}`,
    reply.base_checkpoint
  );
  const remote =
    request.remote === undefined
      ? Private.renderSide('remote', 'Editor', null)
      : Private.renderSide(
          'remote',
          `Checkpoint ${request.remote}`,
          reply.remote_checkpoint
        );
  const arrow = element('span', `${DIFF_HEADER_CLASS}-arrow`, '↔');
  arrow.setAttribute('aria-hidden', 'true');
  node.replaceChildren(base, arrow, remote);
}

/**
 * List the outputs compared by hash rather than line by line.
 */
export function renderSummarisedNote(
  node: HTMLElement,
  summarised: ReadonlyArray<ISummarisedOutput>
): void {
  if (summarised.length === 0) {
    node.replaceChildren();
    return;
  }
  const intro = element(
    'div',
    `${DIFF_SUMMARISED_CLASS}-intro`,
    'Large outputs and images are compared by their hash, not line by line; a changed one is shown whole:'
  );
  const list = element('ul', `${DIFF_SUMMARISED_CLASS}-list`);
  for (const item of summarised) {
    const entry = element(
      'li',
      `${DIFF_SUMMARISED_CLASS}-item`,
      Private.describe(item)
    );
    if (item.reason) {
      entry.title = item.reason;
    }
    list.append(entry);
  }
  node.replaceChildren(intro, list);
}

/**
 * Module-private helpers.
 */
namespace Private {
  /**
   * One side of the header.
   */
  export function renderSide(
    side: 'base' | 'remote',
    label: string,
    checkpoint: ICheckpoint | null
  ): HTMLElement {
    const node = element('div', `${SIDE_CLASS} jp-mod-${side}`);
    node.append(element('div', SIDE_TITLE_CLASS, label));
    const meta: string[] = [];
    if (checkpoint) {
      meta.push(checkpoint.author, formatDate(checkpoint.created_at));
      if (checkpoint.description) {
        meta.push(checkpoint.description);
      }
    } else {
      meta.push('what the editor holds now, unsaved edits included');
    }
    node.append(element('div', SIDE_META_CLASS, meta.join(' · ')));
    for (const warning of checkpoint?.warnings ?? []) {
      const line = element('div', SIDE_WARNING_CLASS);
      const icon = warningIcon.element({ tag: 'span' });
      icon.setAttribute('aria-hidden', 'true');
      line.append(icon, element('span', '', warning.message));
      node.append(line);
    }
    return node;
  }

  /**
   * "cell 3, output 1 (image/png, 1.2 MB) compared by hash" (1-based).
   */
  export function describe(item: ISummarisedOutput): string {
    return `cell ${item.cell + 1}, output ${item.output + 1} (${item.mime}, ${formatSize(item.size)}) compared by hash`;
  }
}
