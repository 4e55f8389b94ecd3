/**
 * What each open notebook executed in this session.
 *
 * The server compares a checkpoint's cells with this history to find hidden
 * state (cells run out of order, edited after they ran, or deleted). The
 * frontend sees what it sends to the kernel, so it keeps the history itself:
 * the source of each cell as it was when its execution was scheduled, by the
 * execution count the kernel gave it.
 */

import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import type { Cell, ICodeCellModel } from '@jupyterlab/cells';

import { SignalListener } from './listener';

/**
 * Records, per notebook panel, the code its cells ran in the current kernel.
 *
 * The history is cleared when the kernel restarts or changes, since
 * execution counts start again from 1.
 */
export class ExecutionHistory extends SignalListener {
  /**
   * Start recording the executions of every notebook in the tracker.
   */
  constructor(options: ExecutionHistory.IOptions) {
    super();
    this._tracker = options.tracker;
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
    NotebookActions.executed.connect(this._onExecuted, this);
    this._tracker.widgetAdded.connect(this._onPanelAdded, this);
    this._tracker.forEach(panel => this._onPanelAdded(this._tracker, panel));
  }

  /**
   * What the panel's notebook ran in its current kernel, as
   * `[execution_count, source]` pairs in the order of the counts.
   */
  history(panel: NotebookPanel): Array<[number, string]> {
    const record = this._records.get(panel.content);
    if (!record) {
      return [];
    }
    return Array.from(record.executed.entries()).sort((a, b) => a[0] - b[0]);
  }

  /**
   * The source a cell had when its latest execution was scheduled, if that
   * execution was seen.
   */
  scheduledSource(panel: NotebookPanel, cellId: string): string | undefined {
    return this._records.get(panel.content)?.scheduled.get(cellId);
  }

  /**
   * Watch a new panel's kernel so its history is reset on restarts.
   */
  private _onPanelAdded(_: INotebookTracker, panel: NotebookPanel): void {
    const notebook = panel.content;
    const reset = () => this._records.delete(notebook);
    panel.sessionContext.kernelChanged.connect(reset, this);
    panel.sessionContext.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting') {
        reset();
      }
    }, this);
    panel.disposed.connect(reset, this);
  }

  /**
   * Keep a cell's source as it is sent to the kernel.
   */
  private _onScheduled(
    _: unknown,
    args: { notebook: Notebook; cell: Cell }
  ): void {
    if (args.cell.model.type !== 'code') {
      return;
    }
    this._record(args.notebook).scheduled.set(
      args.cell.model.id,
      args.cell.model.sharedModel.getSource()
    );
  }

  /**
   * File the scheduled source under the execution count the kernel gave it.
   */
  private _onExecuted(
    _: unknown,
    args: { notebook: Notebook; cell: Cell; success: boolean }
  ): void {
    const model = args.cell.model;
    if (model.type !== 'code') {
      return;
    }
    const count = (model as ICodeCellModel).executionCount;
    if (typeof count !== 'number') {
      return;
    }
    const record = this._record(args.notebook);
    const source =
      record.scheduled.get(model.id) ?? model.sharedModel.getSource();
    record.executed.set(count, source);
  }

  /**
   * The record of a notebook, created on first use.
   */
  private _record(notebook: Notebook): Private.IRecord {
    let record = this._records.get(notebook);
    if (!record) {
      record = { scheduled: new Map(), executed: new Map() };
      this._records.set(notebook, record);
    }
    return record;
  }

  private _records = new WeakMap<Notebook, Private.IRecord>();
  private _tracker: INotebookTracker;
}

/**
 * The namespace for `ExecutionHistory` statics.
 */
export namespace ExecutionHistory {
  /**
   * Options to create a recorder.
   */
  export interface IOptions {
    /**
     * The notebooks to watch.
     */
    tracker: INotebookTracker;
  }
}

/**
 * Module-private types.
 */
namespace Private {
  /**
   * What one notebook ran.
   */
  export interface IRecord {
    /**
     * The source of each cell (by id) when its execution was last scheduled.
     */
    scheduled: Map<string, string>;
    /**
     * The source that ran, by execution count.
     */
    executed: Map<number, string>;
  }
}
