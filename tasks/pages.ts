// Reading every page of a paginated AWS answer with the SDK's own paginators, with a bound: a check
// reads at most MAX_PAGES pages and says so when there was more.
import { aws } from './errors.ts';

/** Pages one check reads of one listing at most. */
export const MAX_PAGES = 20;

/** Every page's items (at most MAX_PAGES pages) and whether more were left unread. */
export async function allPages<P, T>(
  what: string,
  pages: AsyncIterable<P>,
  items: (page: P) => readonly T[] | undefined,
): Promise<{ items: T[]; truncated: boolean }> {
  const found: T[] = [];
  let read = 0;
  const iterator = pages[Symbol.asyncIterator]();
  while (true) {
    const next = await aws(what, () => iterator.next());
    if (next.done) return { items: found, truncated: false };
    found.push(...(items(next.value) ?? []));
    read++;
    if (read >= MAX_PAGES) {
      const more = await aws(what, () => iterator.next());
      return { items: found, truncated: !more.done };
    }
  }
}
