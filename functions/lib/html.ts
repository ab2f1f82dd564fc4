/**
 * Escaping for the pages and emails we build by hand. Provider names, officers' notes and CQC data
 * all end up in HTML, and any of them could hold markup, so every interpolation is escaped unless
 * it is explicitly marked as already-safe HTML with `raw(...)` (or is itself the result of `html`).
 *
 * Escaping makes text safe inside element content and inside *quoted* attribute values. It does not
 * make a URL safe in `href` (a `javascript:` URL has nothing to escape), nor text safe inside
 * <script> or <style>: don't interpolate untrusted values there.
 */

/**
 * The OWASP set for HTML contexts: & < > " '. Not `/`: OWASP dropped it (it ends no context once
 * attributes are quoted), and escaping it only uglifies URLs shown as text.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
};

export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** HTML that is already safe: the output of `html`, or markup we wrote ourselves and wrap in `raw`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks trusted markup (our own, never user input) so `html` puts it in unescaped. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(String(markup));
}

/**
 * What may be interpolated. `null`, `undefined` and `false` render as nothing so that
 * `${condition && html`...`}` works; arrays render each item, so lists need no join.
 */
export type HtmlValue = string | number | boolean | null | undefined | SafeHtml | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((item: HtmlValue) => render(item)).join('');
  return escapeHtml(String(value));
}

/** A tagged template: the literal parts are ours, every interpolation is escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Text for an email header such as the subject. A CR or LF would end the header and let the rest
 * (from a provider's name, say) add headers like Bcc: — so line breaks of every kind, and other
 * control characters, become single spaces and the ends are trimmed.
 */
export function escapeHeaderText(text: string): string {
  return (
    String(text)
      // C0 controls (CR, LF, TAB...), DEL, C1 controls (NEL is U+0085), and the Unicode line and paragraph separators.
      // Spaces next to a break fold into the one space that replaces it ("Name \r\n Bcc" -> "Name Bcc").
      // eslint-disable-next-line no-control-regex
      .replace(/ *[\u0000-\u001f\u007f-\u009f\u2028\u2029][ \u0000-\u001f\u007f-\u009f\u2028\u2029]*/g, ' ')
      .trim()
  );
}
