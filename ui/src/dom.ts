/** Tiny DOM helpers: elements built with text nodes only (no HTML strings, nothing to escape). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from the page`);
  return e as T;
}

/** Puts `wanted` in `parent` in this order, moving only what is out of place. */
export function reorder(parent: Element, wanted: readonly Element[]): void {
  let cursor = parent.firstElementChild;
  for (const w of wanted) {
    if (cursor === w) {
      cursor = cursor.nextElementSibling;
      continue;
    }
    parent.insertBefore(w, cursor);
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
}
