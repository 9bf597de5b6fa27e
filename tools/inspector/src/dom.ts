/**
 * Building the page with DOM calls only: no innerHTML (image bytes become text nodes, never markup) and no
 * style attributes (the page's CSP allows styles from its own stylesheet only).
 */
export type Child = Node | string | number | undefined | false;

export interface ElementProps {
  className?: string;
  /** data-* attributes, read by the browser test. */
  data?: Record<string, string>;
  title?: string;
}

/** `tag` with a class, data attributes and children (strings become text nodes; undefined/false are skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElementProps = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.title) element.title = props.title;
  for (const [key, value] of Object.entries(props.data ?? {})) element.dataset[key] = value;
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(element: Element): void {
  element.replaceChildren();
}

/** The element with `id`, which the page's HTML must have. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new TypeError(`the page has no ${type.name} #${id}`);
  return element;
}

/** A two-column table of rows; a row's third cell, when given, is a note (checksum state, units…). */
export function fieldTable(caption: string, rows: readonly FieldRow[], data?: Record<string, string>): HTMLTableElement {
  return h(
    'table',
    { className: 'fields', data },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', {}, 'field'), h('th', {}, 'offset'), h('th', {}, 'value'), h('th', {}, ''))),
    h('tbody', {}, ...rows.map((row) => h(
      'tr',
      { data: { field: row.field } },
      h('th', { className: 'name' }, row.field),
      h('td', { className: 'offset' }, row.offset === undefined ? '' : String(row.offset)),
      h('td', { className: 'value' }, row.value),
      h('td', { className: row.bad ? 'note bad' : 'note' }, row.note ?? ''),
    ))),
  );
}

/** One displayed field: its name in the field tables, its offset inside the structure, value and a note. */
export interface FieldRow {
  field: string;
  offset?: number;
  value: string;
  note?: string;
  /** Marks the note as a fault (an invalid checksum). */
  bad?: boolean;
}
