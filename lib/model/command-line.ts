/**
 * A small shell-like splitter for `--cmd "node server.js"` / `--args`: whitespace separates words,
 * '…' is literal, "…" allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next character.
 */
import { invalid } from '../errors.js';

export function splitCommandLine(text: string, field = 'cmd'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw invalid(`invalid ${field} ${JSON.stringify(text)}: trailing backslash`, field);
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw invalid(`invalid ${field} ${JSON.stringify(text)}: unterminated ${quote === '"' ? 'double' : 'single'} quote`, field);
  if (inWord) words.push(word);
  return words;
}

/** Joins argv back into one line, quoting words that need it (the inverse of splitCommandLine). */
export function joinCommandLine(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
