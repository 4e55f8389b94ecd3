/**
 * Building DOM nodes for the notebook views and dialogs: text is always set
 * as text.
 */

/**
 * Create an element with a class and, optionally, text (always set as text,
 * never parsed as HTML).
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * A styled input (a checkbox keeps the browser's own look).
 */
export function input(type: string, className: string): HTMLInputElement {
  const node = document.createElement('input');
  node.type = type;
  node.className =
    type === 'checkbox' ? className : `jp-mod-styled ${className}`;
  node.spellcheck = false;
  return node;
}

/**
 * An option of a select.
 */
export function option(value: string, text: string): HTMLOptionElement {
  const node = document.createElement('option');
  node.value = value;
  node.textContent = text;
  return node;
}
