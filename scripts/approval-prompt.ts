// The approval prompt of a rehearsal on a terminal: it shows the request (input text made harmless),
// accepts whole words only (approve, reject, expire), asks who decides (a simulated identity the
// approval service's rules then judge) and a reason for a rejection, takes a closed stdin (Ctrl-D)
// as nobody deciding, and lets Ctrl-C stop the rehearsal without deciding anything.
import { createInterface } from 'node:readline/promises';
import type { ApprovalRequest, Approver, Decision } from '../rehearsal/engine.ts';
import { printable } from '../tasks/printable.ts';

/** Ctrl-C at the prompt: nothing was decided, and the rehearsal stops (exit 130). */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/** What the prompt needs of a terminal: one question answered, stdin closed, or Ctrl-C. */
export interface Terminal {
  ask(question: string): Promise<string | 'closed' | 'interrupted'>;
  write(text: string): void;
}

const CHOICES = 'approve, reject or expire';

/** Asks until an answer is a whole choice; a rejection also needs a reason. */
export async function askDecision(request: ApprovalRequest, terminal: Terminal): Promise<Decision> {
  const shown = (value: string | null | undefined) => printable(value ?? 'unknown');
  const { rule } = request;
  terminal.write(
    `\n  Approval ${shown(request.approvalId)}: ${shown(request.procedure)} of ${shown(request.target)} in ${shown(request.environment)}\n` +
      `  ${shown(request.change)} (now ${shown(request.from)}${request.fromDetail ? `, ${shown(request.fromDetail)}` : ''})\n` +
      (request.snapshot ? `  backup before the change: ${shown(request.snapshot)}\n` : '') +
      `  requested by ${shown(request.requestedBy)}; change request ${shown(request.changeRequest ?? 'none')}; reason: ${shown(request.reason ?? 'none')}\n` +
      `  needs ${rule.required} approval${rule.required === 1 ? '' : 's'} from ${printable(rule.approvers.join(', '))}; expires ${shown(request.expiresAt)}\n`,
  );
  const answer = async (question: string): Promise<string> => {
    const given = await terminal.ask(question);
    if (given === 'interrupted')
      throw new Interrupted('interrupted at the approval prompt; nothing was decided');
    // Closing stdin is an answer too: nobody decides, so the approval expires.
    if (given === 'closed') throw new NobodyDecided();
    return given.trim();
  };
  try {
    for (;;) {
      const choice = (await answer(`  Decide (${CHOICES}): `)).toLowerCase();
      if (choice === 'expire') return choice;
      if (choice === 'approve' || choice === 'reject') {
        const person = await askPerson(answer, terminal);
        if (choice === 'approve') return { attempts: [{ as: { person }, decision: 'approve' }] };
        for (;;) {
          const reason = await answer('  Reason for the rejection: ');
          if (reason) return { attempts: [{ as: { person }, decision: 'reject', comment: reason }] };
          terminal.write('  A rejection needs a reason.\n');
        }
      }
      terminal.write(`  '${printable(choice)}' is not a choice: answer ${CHOICES}.\n`);
    }
  } catch (error) {
    if (error instanceof NobodyDecided) return 'expire';
    throw error;
  }
}

class NobodyDecided extends Error {}

/** Who decides: one word (a session name), recorded as a simulated identity an approver pattern names. */
async function askPerson(answer: (question: string) => Promise<string>, terminal: Terminal): Promise<string> {
  for (;;) {
    const person = await answer('  You are (your user name, e.g. alice@example.com): ');
    if (/^[\w+=,.@-]{1,64}$/.test(person)) return person;
    terminal.write(`  '${printable(person)}' is not a user name (letters, digits and +=,.@_- only).\n`);
  }
}

/**
 * The prompt on this process's terminal (questions on stderr, so --json's stdout stays one object).
 * Ctrl-C ends the process there and then (exit 130): thrown into the run, it would be a failed step.
 */
export function promptApprover(): Approver {
  return async (request) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const closed = new Promise<'closed'>((resolve) => rl.once('close', () => resolve('closed')));
    const interrupted = new Promise<'interrupted'>((resolve) =>
      rl.once('SIGINT', () => resolve('interrupted')),
    );
    try {
      return await askDecision(request, {
        ask: (question) => Promise.race([rl.question(question), closed, interrupted]),
        write: (text) => process.stderr.write(text),
      });
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      process.stderr.write(`\nrunbook: ${error.message}\n`);
      process.exit(130);
    } finally {
      rl.close();
    }
  };
}
