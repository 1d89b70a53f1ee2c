// Small DOM helpers: no framework, text is always set as text (never as HTML).
type Child = Node | string | number | null | undefined | false;

export function h(tag: string, attrs: Record<string, any> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    // Through the CSSOM: the page's CSP allows no inline style attribute.
    else if (k === "style") el.style.cssText = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function fmt(v: any, digits = 4): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(digits);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v)) return new Date(v).toLocaleString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export const pill = (text: string) => h("span", { class: `pill ${text}` }, text);

/**
 * A table of rows; columns as [header, accessor]. rowAttrs puts attributes on each row (e.g. the id of what it shows, or
 * a figure unrounded), so a row can be found and checked without parsing its text.
 */
export function table<T>(rows: T[], columns: [string, (r: T) => Child][], attrs: Record<string, any> = {}, rowAttrs?: (r: T) => Record<string, any>): HTMLElement {
  if (!rows.length) return h("p", { class: "muted", ...(attrs["data-testid"] ? { "data-testid": attrs["data-testid"] } : {}) }, "none");
  return h("table", attrs,
    h("thead", {}, h("tr", {}, ...columns.map(([name]) => h("th", {}, name)))),
    h("tbody", {}, ...rows.map(r => h("tr", rowAttrs?.(r) ?? {}, ...columns.map(([, f]) => { const v = f(r); return h("td", {}, v instanceof Node ? v : fmt(v)); })))));
}

/** Key/value table of an object's scalar fields. */
export function kv(obj: Record<string, any> | null | undefined): HTMLElement {
  if (!obj) return h("p", { class: "muted" }, "none");
  return table(Object.entries(obj), [["", ([k]) => k], ["", ([, v]) => fmt(v)]]);
}

export const card = (title: string | null, ...children: Child[]) => h("div", { class: "card" }, title ? h("h3", {}, title) : null, ...children);
export const errorBox = (e: any) => h("p", { class: "error" }, `${e?.status ?? ""} ${e?.message ?? e}`);
export const section = (title: string, ...children: Child[]) => h("section", {}, h("h2", {}, title), ...children);

/** Long free text (a model card's limitations) cut for a table cell; the full text stays in the API. */
export const clip = (v: any, max: number) => typeof v === "string" && v.length > max ? v.slice(0, max) + "…" : v;
