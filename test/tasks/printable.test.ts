import { describe, expect, it } from 'vitest';
import { printable } from '../../tasks/printable.ts';
import { subjectOf } from '../../tasks/publish.ts';

describe('printable', () => {
  it('shows control characters as escapes: named ones by name, others by code', () => {
    // Given text carrying a newline, a carriage return, a tab, ESC, NUL, DEL and a C1 control
    // When / Then each is an escape a person can read, and nothing else changes
    expect(printable('a\nb\rc\td\u001b[2Je\u0000f\u007fg\u009bh')).toBe(
      'a\\nb\\rc\\td\\x1b[2Je\\x00f\\x7fg\\x9bh',
    );
    expect(printable('dana@company.com — café')).toBe('dana@company.com — café');
  });

  it('shows the bidirectional overrides and isolates as escapes, by their code point', () => {
    // Given a right-to-left override that would reorder what follows / When / Then
    expect(printable('evil\u202Etxt.exe\u2066x\u2069')).toBe('evil\\u202etxt.exe\\u2066x\\u2069');
    // And the characters just outside those ranges are kept
    expect(printable('\u00a0\u2029\u202f\u206a')).toBe('\u00a0\u2029\u202f\u206a');
  });
});

describe('a notice subject', () => {
  it('is printable ASCII of at most 100 characters, whatever the text', () => {
    expect(subjectOf('Approval needed: café in prod\n')).toBe('Approval needed: caf\\u{e9} in prod\\n');
    expect(subjectOf('🚀'.repeat(60))).toHaveLength(100);
    expect(subjectOf('🚀'.repeat(60))).toMatch(/^[\x20-\x7e]+$/);
    expect(subjectOf('plain')).toBe('plain');
  });
});
