/**
 * The life cycle of objects that only listen to other objects' signals.
 */

import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

/**
 * An object whose whole job is listening to signals: disposing it
 * disconnects every connection it made with itself as the `thisArg`, and
 * every signal it owns.
 */
export abstract class SignalListener implements IDisposable {
  /**
   * Whether the listener is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop listening.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _isDisposed = false;
}
