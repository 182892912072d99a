// The `runbook` CLI: `procedures` (the catalogue), `rehearse` (a procedure on the simulated account,
// no AWS needed), and `approvals` / `approve` / `reject` (the decision API, with your own AWS
// credentials). Exit codes: 0 the run succeeded (or the decision was made), 1 it did not, 2 the CLI
// could not start it, 10-18 a refused decision (scripts/approvals.ts), 130 interrupted (Ctrl-C),
// 141 the reader of its output went away (a closed pipe).
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from '../infra/config.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import type { ApproveMode } from './rehearse.ts';
import type { DeployFlags } from './runs.ts';
import { COLOR, PLAIN } from './timeline.ts';
import { readInput, scenarioOf, UsageError } from './usage.ts';

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
// Ctrl-C while a command runs (not at a prompt, which handles its own): say what it stopped, and stop.
let interrupted = 'the rehearsal stopped (it touches no AWS account)';
process.once('SIGINT', () => {
  process.stderr.write(`\nrunbook: interrupted; ${interrupted}\n`);
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
  .action(async (options: { json: boolean }) => {
    const { printCatalogue, procedureCatalogue } = await import('./procedures.ts');
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
  .option(
    '--record-dir <folder>',
    "where the rehearsal's record (histories) and HTML audit page are written",
    '.runbook-local/rehearsals',
  )
  .action(
    async (
      procedure: string,
      options: { input?: string; scenario: string; approve?: ApproveMode; json: boolean; recordDir: string },
    ) => {
      const config = loadConfig(program.opts().config);
      const { runRehearsal } = await import('./rehearse.ts');
      const { synthesizeDefinitions } = await import('../rehearsal/definitions.ts');
      const { exitCode } = await runRehearsal({ procedure, ...options }, config, () =>
        synthesizeDefinitions(config),
      );
      process.exitCode = exitCode;
    },
  );

// Against AWS or `runbook local`: where, and how a run is followed.
const whereOptions = (command: Command) =>
  command
    .option(
      '--endpoint <url>',
      'a Step Functions endpoint, e.g. runbook local (default: AWS, or AWS_ENDPOINT_URL_SFN)',
    )
    .option('--region <region>', 'the AWS region (default: AWS_REGION, else the config region)')
    .option('--profile <name>', 'the AWS profile (default: the usual credential chain)');
const followOptions = (command: Command) =>
  command
    .option(
      '--name <name>',
      'the execution name (default: derived from the request, so a retried job attaches)',
    )
    .option('--scenario <name>', 'on runbook local: the scenario the run meets')
    .option('--no-wait', 'print the execution ARN and return, without following')
    .option('--timeout <seconds>', 'stop following after this long (exit 4; the run goes on)', Number)
    .option('--poll <seconds>', 'seconds between reads of the history', Number, 2)
    .option('--json', 'print one JSON object at the end', false)
    .option('--events', 'print one JSON line per history event', false);
type FollowFlags = WhereFlags & {
  name?: string;
  scenario?: string;
  wait: boolean;
  timeout?: number;
  poll: number;
  json: boolean;
  events: boolean;
};
type WhereFlags = { endpoint?: string; region?: string; profile?: string };
const runs = () => import('./runs.ts');
const where = async (flags: WhereFlags) =>
  (await import('./where.ts')).whereOf(flags, loadConfig(program.opts().config));
const startFlags = (flags: FollowFlags) => {
  if (flags.json && flags.events) throw new UsageError('give --json or --events, not both');
  for (const [name, value] of [
    ['--timeout', flags.timeout],
    ['--poll', flags.poll],
  ] as const)
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new UsageError(`${name} must be a number of seconds above 0`);
  interrupted = 'the CLI stopped following; the run goes on (runbook status shows it)';
  return {
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.scenario !== undefined && { scenario: flags.scenario }),
    wait: flags.wait,
    output: flags.json ? ('json' as const) : flags.events ? ('events' as const) : ('lines' as const),
    ...(flags.timeout !== undefined && { timeoutSeconds: flags.timeout }),
    pollSeconds: flags.poll,
  };
};

followOptions(
  whereOptions(
    program
      .command('start')
      .description("Start a procedure's state machine on AWS (or runbook local) and follow it to its end.")
      .argument('<procedure>', PROCEDURES.map((p) => p.name).join(' or '))
      .requiredOption(
        '--input <file-or-json>',
        'execution input: a JSON file, inline JSON, or - for standard input',
      ),
  ),
).action(async (name: string, flags: FollowFlags & { input: string }) => {
  const { procedure } = scenarioOf({ procedure: name, scenario: 'happy' });
  const input = readInput(flags.input);
  const config = loadConfig(program.opts().config);
  process.exitCode = await (await runs()).startRun(await where(flags), config, procedure, {
    input,
    ...startFlags(flags),
  });
});

followOptions(
  whereOptions(
    program
      .command('deploy')
      .description(
        'Deploy an image to a service (a production or standard deployment, as its environment says).',
      )
      .requiredOption('--env <environment>', 'the environment (a config key)')
      .requiredOption('--service <service>', 'the service (a config key)')
      .requiredOption('--image <ref>', 'the image, pinned by digest where the policy says so')
      .option('--change-request <id>', 'the approved change request, where the policy needs one')
      .option('--reason <text>', 'why, for the notices and the record')
      .option('--requested-by <who>', 'who asks (default: GITHUB_ACTOR, else USER)'),
  ),
).action(async (flags: FollowFlags & DeployFlags) => {
  const { procedure } = scenarioOf({ procedure: 'production-deployment', scenario: 'happy' });
  const m = await runs();
  const config = loadConfig(program.opts().config);
  process.exitCode = await m.startRun(await where(flags), config, procedure, {
    input: m.deploymentInput(flags),
    ...startFlags(flags),
  });
});

whereOptions(
  program
    .command('runs')
    .description("List recent runs of the stack's procedures: status, when, and who asked.")
    .argument('[procedure]', 'only this procedure')
    .option('--limit <n>', 'at most this many', Number, 20)
    .option('--json', 'print one JSON object: { runs: [...] }', false),
).action(async (procedure: string | undefined, flags: WhereFlags & { limit: number; json: boolean }) => {
  if (!Number.isInteger(flags.limit) || flags.limit < 1 || flags.limit > 1000)
    throw new UsageError('--limit must be a whole number from 1 to 1000');
  const config = loadConfig(program.opts().config);
  process.exitCode = await (await runs()).listRuns(await where(flags), config, {
    ...(procedure !== undefined && { procedure }),
    limit: flags.limit,
    json: flags.json,
  });
});

whereOptions(
  program
    .command('status')
    .description('Show how a run stands: its status, the state it is in, and what it waits for.')
    .argument('<run>', 'the execution name or ARN')
    .option('--json', 'print one JSON object', false),
).action(async (run: string, flags: WhereFlags & { json: boolean }) => {
  const config = loadConfig(program.opts().config);
  process.exitCode = await (await runs()).runStatus(await where(flags), config, run, flags.json);
});

whereOptions(
  program
    .command('stop')
    .description(
      'Stop a run where it is (after a warning and a confirmation); its lock is released and the on-call paged.',
    )
    .argument('<run>', 'the execution name or ARN')
    .option('--reason <text>', 'why, kept as the cause of the stop')
    .option('--yes', 'stop without asking to confirm (required without a terminal)', false),
).action(async (run: string, flags: WhereFlags & { yes: boolean; reason?: string }) => {
  const config = loadConfig(program.opts().config);
  process.exitCode = await (await runs()).stopRun(await where(flags), config, run, {
    yes: flags.yes,
    ...(flags.reason !== undefined && { reason: flags.reason }),
  });
});

program
  .command('graph')
  .description(
    "Draw a procedure's state machine as synthesized from the config: SVG (laid out by dagre) or Mermaid text.",
  )
  .argument('<procedure>', PROCEDURES.map((p) => p.name).join(' or '))
  .addOption(new Option('--format <format>', 'svg or mermaid').choices(['svg', 'mermaid']).default('svg'))
  .option('--out <file>', 'write it to this file instead of standard output')
  .action(async (name: string, flags: { format: 'svg' | 'mermaid'; out?: string }) => {
    const { procedure } = scenarioOf({ procedure: name, scenario: 'happy' });
    const config = loadConfig(program.opts().config);
    const [{ synthesizeDefinitions }, { mermaidOf, standaloneSvg }] = await Promise.all([
      import('../rehearsal/definitions.ts'),
      import('./audit/graph.ts'),
    ]);
    const asl = synthesizeDefinitions(config).machines[procedure.name]?.asl;
    if (!asl) throw new UsageError(`${procedure.name} has no state machine in the synthesized app`);
    const text =
      flags.format === 'svg' ? standaloneSvg(asl, `The ${procedure.name} state machine`) : mermaidOf(asl);
    if (flags.out) {
      writeFileSync(flags.out, text);
      process.stderr.write(`runbook: the ${flags.format} drawing of ${procedure.name} is in ${flags.out}\n`);
    } else process.stdout.write(text);
  });

whereOptions(
  program
    .command('audit')
    .description(
      'The record of a run for a person or an auditor: who asked, who approved, every step, what changed, how it ended.',
    )
    .argument(
      '<run>',
      'the execution name or ARN, or a run record file (.json) from a rehearsal or the archive',
    )
    .option('--format <format>', 'markdown, json or html', 'markdown')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .option(
      '--archive <s3-url-or-folder>',
      'where to look when Step Functions no longer has the run (default: the stack output RunArchiveBucket)',
    ),
).action(async (run: string, flags: WhereFlags & { format: string; out?: string; archive?: string }) => {
  const [{ auditCommand }, { archiveOf }] = await Promise.all([import('./audit.ts'), import('./archive.ts')]);
  const config = loadConfig(program.opts().config);
  process.exitCode = await auditCommand(
    run,
    flags,
    config,
    () => where(flags),
    () => archiveOf(flags.archive, config, flags),
  );
});

program
  .command('history')
  .description(
    'The release history from the run archive: date, procedure, target, requester, approvers, change, outcome, duration.',
  )
  .option('--procedure <name>', 'only this procedure')
  .option('--target <env/service>', 'only this service or database (its config key, or environment/key)')
  .option('--since <date>', 'only runs started since (e.g. 2026-01-01)')
  .option('--limit <n>', 'at most this many, newest first', Number, 100)
  .option('--json', 'print one JSON object: { archive, runs: [...] }', false)
  .option('--archive <s3-url-or-folder>', 'the archive (default: the stack output RunArchiveBucket)')
  .option('--region <region>', 'the AWS region (default: AWS_REGION, else the config region)')
  .option('--profile <name>', 'the AWS profile (default: the usual credential chain)')
  .action(
    async (flags: {
      procedure?: string;
      target?: string;
      since?: string;
      limit: number;
      json: boolean;
      archive?: string;
      region?: string;
      profile?: string;
    }) => {
      const [{ historyCommand }, { archiveOf }] = await Promise.all([
        import('./audit.ts'),
        import('./archive.ts'),
      ]);
      const config = loadConfig(program.opts().config);
      if (flags.procedure !== undefined) scenarioOf({ procedure: flags.procedure, scenario: 'happy' });
      process.exitCode = await historyCommand(flags, () => archiveOf(flags.archive, config, flags), out);
    },
  );

program
  .command('local')
  .description(
    "Serve the Step Functions API (and the approvals API) on 127.0.0.1: the stack's machines run on the rehearsal engine against simulated accounts.",
  )
  .option('--port <port>', 'the port', Number, 8083)
  .option('--dir <folder>', 'where executions and their histories are kept across restarts', '.runbook-local')
  .option('--speed <n>', 'simulated seconds per real second', Number, 20)
  .option('--approval-speed <n>', 'the same while an approval waits for a person (default: --speed)', Number)
  .option('--scenario <name>', 'the scenario of a run whose name does not begin with <scenario>--', 'happy')
  .action(
    async (flags: { port: number; dir: string; speed: number; approvalSpeed?: number; scenario: string }) => {
      const { serveLocalCommand } = await import('./local.ts');
      const { synthesizeDefinitions } = await import('../rehearsal/definitions.ts');
      interrupted = 'the local endpoint stopped; its executions are kept';
      await serveLocalCommand(flags, loadConfig(program.opts().config), () =>
        synthesizeDefinitions(loadConfig(program.opts().config)),
      );
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
  if (error instanceof Error && error.name === 'WhereError') {
    process.stderr.write(`runbook: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`runbook: ${error.message}\n`);
  } else {
    // A fault of the CLI itself, not an outcome of the run: exit 2, never 1.
    process.stderr.write(`runbook: internal error: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(2);
}
