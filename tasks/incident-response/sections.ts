// What each diagnostics reader answers with: one section of the bundle, with what stands out first
// (the lines a person reads before anything else), then its lines, bounded, and where to look further.
import * as z from '../zod.ts';

/** The bundle's sections, in the order the runbook's Investigation reads them. */
export const SECTIONS = ['changes', 'service', 'targets', 'traffic', 'errors', 'database'] as const;
export type SectionName = (typeof SECTIONS)[number];

/** Lines one section keeps: the bundle, twice in the state (results and report), stays far below 256 KiB. */
export const MAX_LINES = 15;

export const SectionSchema = z.strictObject({
  section: z.enum(SECTIONS),
  title: z.string(),
  /** What stands out, worst first; empty when nothing does. */
  attention: z.array(z.string()),
  /** What was read, newest first, at most MAX_LINES. */
  lines: z.array(z.string()),
  /** How many more lines there were than the section keeps. */
  more: z.number().int().min(0),
  /** Where to look further: the console page. */
  follow: z.string().nullable(),
});
export type Section = z.infer<typeof SectionSchema>;

/** A section from what a reader found: its lines cut to MAX_LINES, the rest counted. */
export function section(
  name: SectionName,
  title: string,
  found: { attention: string[]; lines: string[]; follow: string | null },
): Section {
  return {
    section: name,
    title,
    attention: found.attention,
    lines: found.lines.slice(0, MAX_LINES),
    more: Math.max(0, found.lines.length - MAX_LINES),
    follow: found.follow,
  };
}

/** A section in a few words, for a person following the run. */
export const summarizeSection = (s: Section) =>
  `${s.section}: ${s.attention.length > 0 ? s.attention[0] : 'nothing stands out'}${s.attention.length > 1 ? ` (and ${s.attention.length - 1} more)` : ''}`;

/** A moment as the bundle shows it: UTC, to the second, and how long before `now`. */
export function when(at: Date | undefined, now: number): string {
  if (!at) return 'at an unknown time';
  const minutes = Math.max(0, Math.round((now - at.getTime()) / 60_000));
  return `${at.toISOString().slice(11, 19)}Z (${minutes} min ago)`;
}

/** The window a reader reads: the `minutes` before `now` (the state's entered time). */
export const windowOf = (now: string, minutes: number) => {
  const end = Date.parse(now);
  return { start: new Date(end - minutes * 60_000), end: new Date(end), endMs: end };
};
