// Problems of an input, named by field: what a person reads in the console and the CLI.
import type * as z from '../zod.ts';

/** One problem of an input: the field and what is wrong with it. */
export type Issue = { path: string; message: string };

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(input)',
    // A bad key of a record says only "Invalid key in record": say what is wrong with the key.
    message: issue.code === 'invalid_key' && issue.issues[0] ? issue.issues[0].message : issue.message,
  }));
}

/** Formats zod issues as "field: message; field: message", the cause a person reads in the console. */
export function describeIssues(error: z.ZodError): string {
  return issuesOf(error)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
}
