// Text from input, made harmless to show: control characters (an ESC sequence can rewrite a
// terminal's screen, a newline can forge a line of a notice) and the bidirectional overrides that
// reorder what a reader sees are shown as escapes instead of acting.
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// C0 and C1 controls, DEL, and the Unicode bidirectional embeddings, overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED[c] ??
      (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}

/** At most this many characters of text an AWS service or an application wrote, in one report line. */
const MAX_TEXT = 200;

/** Text from AWS or an application, made harmless and short enough to read in a report. */
export const shown = (text: string | undefined | null) => {
  const safe = printable(String(text ?? ''));
  return safe.length > MAX_TEXT ? `${safe.slice(0, MAX_TEXT - 1)}…` : safe;
};
