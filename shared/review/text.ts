/**
 * Log-derived text made safe to read: invisible and bidirectional control characters become
 * visible markers (⟨U+202E⟩), so a file name cannot hide a part of itself or reorder the
 * explanation around it; a word mixing scripts (Latin "pаypal" with a Cyrillic "а") is marked.
 */

// Bidi controls, zero-width and other invisible format characters, C0/C1 controls (tab and newline aside).
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDDEF]/g;

/** The text with every invisible or bidi control shown as ⟨U+XXXX⟩. */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (ch) => `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Cherokee', 'Hebrew', 'Arabic', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Thai', 'Devanagari'] as const;
const SCRIPT_RE = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);
// Scripts that are routinely written together in one word.
const COMPATIBLE = [new Set(['Han', 'Hiragana', 'Katakana']), new Set(['Han', 'Hangul'])];

/** The scripts of the letters in a word, when a word mixes them (a lookalike), else []. */
export function mixedScripts(text: string): string[] {
  const found = new Set<string>();
  for (const word of text.split(/[^\p{L}\p{M}]+/u)) {
    const scripts = new Set<string>();
    for (const ch of word) for (const [name, re] of SCRIPT_RE) if (re.test(ch)) scripts.add(name);
    if (scripts.size > 1 && !COMPATIBLE.some((ok) => [...scripts].every((s) => ok.has(s)))) for (const s of scripts) found.add(s);
  }
  return [...found];
}

/** showInvisible plus a "mixed scripts" note: for CSV cells and plain-text contexts. */
export function plainSafe(text: string): string {
  const mixed = mixedScripts(text);
  return showInvisible(text) + (mixed.length ? ` ⟨mixed scripts: ${mixed.join('+')}⟩` : '');
}
