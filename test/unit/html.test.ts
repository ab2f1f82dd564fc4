import { describe, expect, it } from 'vitest';
import { SafeHtml, escapeHeaderText, escapeHtml, html, raw } from '../../functions/lib/html';

describe('escapeHtml', () => {
  it('escapes the OWASP set', () => {
    expect(escapeHtml('&')).toBe('&amp;');
    expect(escapeHtml('<')).toBe('&lt;');
    expect(escapeHtml('>')).toBe('&gt;');
    expect(escapeHtml('"')).toBe('&quot;');
    expect(escapeHtml("'")).toBe('&#x27;');
  });

  it('leaves everything else alone, slashes included', () => {
    const text = 'Care Home Ltd / Unit 4, Sheffield S1 2AB — 100% é 😀 `x` = y';
    expect(escapeHtml(text)).toBe(text);
  });

  it('escapes an ampersand once, so existing entities show as written', () => {
    expect(escapeHtml('&amp; &lt;')).toBe('&amp;amp; &amp;lt;');
  });

  it('defuses a script tag', () => {
    expect(escapeHtml('<script>alert("x")</script>')).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('leaves no character that can open a tag or close a quoted attribute', () => {
    const payloads = [
      '"><img src=x onerror=alert(1)>',
      "' onmouseover='alert(1)",
      '</textarea><script>alert(1)</script>',
      '<!--',
      '<svg/onload=alert(1)>',
    ];
    for (const payload of payloads) expect(escapeHtml(payload)).not.toMatch(/[<>"']/);
  });
});

describe('html', () => {
  it('escapes interpolations and keeps the literal markup', () => {
    const name = '<script>alert(1)</script>';
    expect(html`<p class="provider">${name}</p>`.toString()).toBe(
      '<p class="provider">&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('stops a value breaking out of a double-quoted attribute', () => {
    const value = '" onfocus="alert(1)" autofocus x="';
    expect(String(html`<input value="${value}">`)).toBe(
      '<input value="&quot; onfocus=&quot;alert(1)&quot; autofocus x=&quot;">',
    );
  });

  it('stops a value breaking out of a single-quoted attribute', () => {
    const value = "' onmouseover='alert(1)";
    expect(String(html`<a title='${value}'>x</a>`)).toBe("<a title='&#x27; onmouseover=&#x27;alert(1)'>x</a>");
  });

  it('puts raw(...) in unescaped', () => {
    expect(String(html`<div>${raw('<strong>bold</strong>')}</div>`)).toBe('<div><strong>bold</strong></div>');
  });

  it('does not escape nested html twice', () => {
    const item = html`<li>${'A & B'}</li>`;
    expect(String(html`<ul>${item}</ul>`)).toBe('<ul><li>A &amp; B</li></ul>');
  });

  it('renders arrays item by item, escaping strings and keeping nested html', () => {
    const names = ['<b>One</b>', 'Two & Three'];
    expect(String(html`<ul>${names.map((name) => html`<li>${name}</li>`)}</ul>`)).toBe(
      '<ul><li>&lt;b&gt;One&lt;/b&gt;</li><li>Two &amp; Three</li></ul>',
    );
    expect(String(html`${['<', raw('<br>'), ['>']]}`)).toBe('&lt;<br>&gt;');
  });

  it('renders null, undefined and false as nothing, so conditions read naturally', () => {
    const show = false as boolean;
    expect(String(html`<p>${null}${undefined}${show && html`<b>hidden</b>`}</p>`)).toBe('<p></p>');
    expect(String(html`<p>${!show && html`<b>shown</b>`}</p>`)).toBe('<p><b>shown</b></p>');
  });

  it('writes numbers, true and zero', () => {
    expect(String(html`${0} ${42} ${-1.5} ${true}`)).toBe('0 42 -1.5 true');
  });

  it('returns SafeHtml, usable wherever a string is', () => {
    const result = html`<p>${'x'}</p>`;
    expect(result).toBeInstanceOf(SafeHtml);
    expect(result.value).toBe('<p>x</p>');
    expect(`${result}`).toBe('<p>x</p>');
  });

  it('handles templates with no interpolations or only interpolations', () => {
    expect(String(html``)).toBe('');
    expect(String(html`<br>`)).toBe('<br>');
    expect(String(html`${'<'}${'>'}`)).toBe('&lt;&gt;');
  });

  it('escapes a string that merely looks like SafeHtml', () => {
    const fake = { value: '<script>', toString: () => '<script>' } as unknown as string;
    expect(String(html`${fake}`)).toBe('&lt;script&gt;');
  });
});

describe('escapeHeaderText', () => {
  it('stops header injection through CR/LF', () => {
    const subject = escapeHeaderText('Quality notice\r\nBcc: attacker@example.org');
    expect(subject).toBe('Quality notice Bcc: attacker@example.org');
    expect(subject).not.toMatch(/[\r\n]/);
  });

  it.each([
    ['a lone LF', 'a\nb'],
    ['a lone CR', 'a\rb'],
    ['a tab', 'a\tb'],
    ['a NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['NEL', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
    ['spaces around a break', 'a \r\n b'],
    ['several breaks', 'a\r\n\r\n\nb'],
  ])('turns %s into a single space', (_label, text) => {
    expect(escapeHeaderText(text)).toBe('a b');
  });

  it('trims breaks at the ends', () => {
    expect(escapeHeaderText('\r\n Subject \n')).toBe('Subject');
  });

  it('leaves ordinary text, including non-ASCII and double spaces, alone', () => {
    expect(escapeHeaderText('Café Lodge  — rating: Requires improvement')).toBe(
      'Café Lodge  — rating: Requires improvement',
    );
  });

  it('does not HTML-escape (a subject is not HTML)', () => {
    expect(escapeHeaderText('A & B <Care>')).toBe('A & B <Care>');
  });
});
