// Lines of `mk COMMAND --help` as cac prints them, tidied. Pure.

/**
 * One "Options" line without cac's "(default: X)" when it says nothing new: a --no-X flag's
 * "(default: true)" is cac's bookkeeping, and a description that already tells its default
 * ("(default; --no-watch for one look)") must not say it twice.
 */
export function withoutDoubledDefault(line: string): string {
  const m = /^(.*?) \(default: [^()]*\)\s*$/.exec(line);
  if (!m) return line.trimEnd();
  const text = m[1] as string;
  if (/^\s+--no-/.test(line) || /\(default\b/i.test(text.replace(/^\s*\S.*?\s{2,}/, "")))
    return text.trimEnd();
  return line.trimEnd();
}
