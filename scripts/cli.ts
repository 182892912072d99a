// The `runbook` CLI: `procedures` (the catalogue), `rehearse` (a procedure on the simulated account,
// no AWS needed), and `approvals` / `approve` / `reject` (the decision API, with your own AWS
// credentials). Exit codes: 0 the run succeeded (or the decision was made), 1 it did not, 2 the CLI
// could not start it, 10-18 a refused decision (scripts/approvals.ts), 130 interrupted (Ctrl-C),
// 141 the reader of its output went away (a closed pipe).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from '../infra/config.ts';
import { synthesizeDefinitions } from '../rehearsal/definitions.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { printCatalogue, procedureCatalogue } from './procedures.ts';
import { type ApproveMode, runRehearsal, UsageError } from './rehearse.ts';
import { COLOR, PLAIN } from './timeline.ts';

// The rehearsal's SDK clients never reach AWS; the SDK's Node.js support notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that stopped early (`runbook ... | head -1`) closed the pipe: end quietly, as a process
// killed by SIGPIPE would report it, instead of crashing on the next write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
}
// Ctrl-C while a rehearsal runs (not at a prompt, which handles its own): say so, and stop.
process.once('SIGINT', () => {
  process.stderr.write('\nrunbook: interrupted; the rehearsal stopped (it touches no AWS account)\n');
  process.exit(130);
});

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('runbook')
  .description(
    'The operations runbook as Step Functions state machines: rehearse them locally, run them on AWS.',
  )
  .version(version)
  .option(
    '--config <file>',
    `config file (default: ${relative(process.cwd(), DEFAULT_CONFIG_PATH) || DEFAULT_CONFIG_PATH})`,
  )
  .configureHelp({ showGlobalOptions: true })
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

program
  .command('procedures')
  .description('List the procedures: state machine, input fields, example, scenarios and errors.')
  .option('--json', 'print one JSON object: { procedures: [...] }', false)
  .action((options: { json: boolean }) => {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (options.json) out(JSON.stringify(procedureCatalogue(), null, 2));
    else printCatalogue(out, process.stdout.isTTY && !process.env.NO_COLOR ? COLOR : PLAIN);
  });

program
  .command('rehearse')
  .description(
    "Run a procedure's synthesized state machine locally, against a simulated AWS account, on simulated time.",
  )
  .argument('<procedure>', PROCEDURES.map((p) => p.name).join(' or '))
  .option(
    '--input <file-or-json>',
    "execution input: a JSON file, inline JSON, or - for standard input (default: the scenario's input, else examples/<procedure>.json)",
  )
  .option('--scenario <name>', "one of the procedure's scenarios (runbook procedures lists them)", 'happy')
  .addOption(
    new Option(
      '--approve <mode>',
      "how approvals are decided (default: the scenario's own decision, else prompt on a TTY, auto otherwise)",
    ).choices(['auto', 'reject', 'expire', 'prompt']),
  )
  .option('--json', 'print one JSON object with the outcome, changes and final account state', false)
  .action(
    async (
      procedure: string,
      options: { input?: string; scenario: string; approve?: ApproveMode; json: boolean },
    ) => {
      const config = loadConfig(program.opts().config);
      const { exitCode } = await runRehearsal({ procedure, ...options }, config, () =>
        synthesizeDefinitions(config),
      );
      process.exitCode = exitCode;
    },
  );

const apiOptions = (command: Command) =>
  command
    .option(
      '--api <url>',
      'the approvals API (default: RUNBOOK_APPROVALS_API, else the stack output ApprovalsApiEndpoint)',
    )
    .option('--profile <name>', 'the AWS profile to sign with (default: the usual credential chain)');
const out = (line: string) => process.stdout.write(`${line}\n`);
// Loaded only by the commands that call AWS: the rehearsal starts without the signer and its SDKs.
const approvals = () => import('./approvals.ts');

apiOptions(
  program
    .command('approvals')
    .description('List the approval requests you may decide now (signed with your AWS credentials).')
    .option('--json', 'print one JSON object: { approvals: [...] }', false),
).action(async (options: { api?: string; profile?: string; json: boolean }) => {
  const { listApprovals } = await approvals();
  await listApprovals(options, loadConfig(program.opts().config), out);
});

for (const decision of ['approve', 'reject'] as const) {
  const command = program
    .command(decision)
    .description(
      decision === 'approve'
        ? 'Approve a request as yourself: shows it, asks to confirm, and approves exactly what was shown.'
        : 'Reject a request as yourself, with a reason: the run ends and nothing is changed.',
    )
    .argument('<approval-id>', 'the id the approval notice names');
  if (decision === 'approve') command.option('--comment <text>', 'a comment, kept with the approval');
  else command.requiredOption('--reason <text>', 'why (required), kept with the rejection');
  apiOptions(command)
    .option('--hash <prefix>', 'the summary hash the notice showed: refused if the request changed since')
    .option('--yes', 'decide without asking to confirm (required without a terminal)', false)
    .action(
      async (
        id: string,
        options: {
          comment?: string;
          reason?: string;
          hash?: string;
          yes: boolean;
          api?: string;
          profile?: string;
        },
      ) => {
        const { decideApproval } = await approvals();
        process.exitCode = await decideApproval(
          id,
          { ...options, decision, comment: options.comment ?? options.reason },
          loadConfig(program.opts().config),
          out,
        );
      },
    );
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof Error && error.name === 'ApiError' && 'exitCode' in error) {
    process.stderr.write(`runbook: ${error.message}\n`);
    process.exit(Number(error.exitCode));
  }
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`runbook: ${error.message}\n`);
  } else {
    // A fault of the CLI itself, not an outcome of the run: exit 2, never 1.
    process.stderr.write(`runbook: internal error: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(2);
}
