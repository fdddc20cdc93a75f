// Tiny DOM builder. Text always goes in through text nodes, never through innerHTML,
// so API data (job names, failure reasons, tenant ids) can never become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Attributes that must be set as properties for the element to behave.
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'indeterminate', 'max']);

function applyAttrs(el, attrs, isSvg) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'style' || key === 'innerHTML' || key === 'outerHTML') {
      throw new Error(`h(): "${key}" is not allowed`);
    }
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', String(value));
    } else if (!isSvg && PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) appendChildren(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/** h('a', {href: '#/', class: 'x', onClick: fn}, 'text', otherNode, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs, false);
  appendChildren(el, children);
  return el;
}

/** Same as h() for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs, true);
  appendChildren(el, children);
  return el;
}

/** Replace all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  appendChildren(el, children);
  return el;
}

/** Set text only when it changed (keeps screen readers and selection calm). */
export function setText(el, text) {
  const t = String(text);
  if (el.textContent !== t) el.textContent = t;
}

/** A label + control pair; the control must carry an id. */
export function field(labelText, control, hint) {
  return h('div', { class: 'field' },
    h('label', { for: control.id }, labelText),
    control,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

/** A <select> with [value, label] options. */
export function select(attrs, options, current) {
  const el = h('select', attrs, options.map(([value, label]) =>
    h('option', { value, selected: value === current }, label)));
  if (current !== undefined && options.some(([v]) => v === current)) el.value = current;
  return el;
}
