// The starter CLI: submits CloudEvents from a file or stdin and prints one JSON line per event; and the
// operator's read-only commands: status of an event, state of a policy, dry run of a file.
// Exit status: 0 when no event ended rejected, conflict or failed; 1 when one did; 2 for usage or connection errors.
import './node-version'; // first: refuses a Node older than 24
import { Command, CommanderError } from 'commander';
import { ConfigError } from './config/environment';
import { loadIamConfig, loadManagedByTag } from './config/iam';
import { loadTemporalConfig } from './config/temporal';
import { checkSearchAttributes } from './temporal/search-attribute-check';
import { loadDriftConfig } from './config/drift';
import { renderDriftReport, runDriftCheck } from './starter/drift-check';
import { dryRun } from './starter/dry-run';
import { eventStatus } from './starter/event-status';
import { openInput, readEvents } from './sources/ndjson-input';
import { checkAccountOption, createAccountReads } from './starter/account-reads';
import { policyReport } from './starter/policy-report';
import { policyHistory, renderPolicyHistory } from './starter/policy-history';
import { StreamInterrupted, submitStream } from './starter/submit-stream';
import { submitOptionsFor, type SubmitReport } from './starter/submit';
import { integerFrom } from './config/cli-options';
import { connectClient } from './temporal/connection';

const EXIT_UNSUCCESSFUL = 1;
const EXIT_USAGE = 2;

/** The line printed for an event: the fields a consumer needs, without the full record unless asked. */
function outputLine(report: SubmitReport, full: boolean): string {
  const { result, ...summary } = report;
  return JSON.stringify(full && result ? { ...summary, result } : summary);
}

function progress(enabled: boolean): { tick(count: number): void; done(): void } {
  if (!enabled) return { tick: () => undefined, done: () => undefined };
  let last = 0;
  return {
    tick(count) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      process.stderr.write(`\r${count} events processed…`);
    },
    done() {
      process.stderr.write('\r\x1b[K');
    },
  };
}

/**
 * A read error ends the input's iteration (what was read before it is still finished and reported);
 * the returned function turns the failure that follows into a usage error naming the file.
 */
function readErrorsNamed(file: string, input: NodeJS.ReadableStream): (error: unknown) => never {
  let readError: Error | undefined;
  input.once('error', (error: Error) => {
    readError = error;
  });
  return (error: unknown): never => {
    // Submission stopped first (Temporal unavailable): the input was then closed, which is no read error.
    if (error instanceof StreamInterrupted) throw error;
    throw readError ? new ConfigError(`cannot read ${file}: ${readError.message}`) : error;
  };
}

async function submitCommand(
  file: string,
  options: { wait: boolean; concurrency: number; full: boolean; retryFor: number; requestTimeout: number },
) {
  const config = { temporal: loadTemporalConfig(), managedByTag: loadManagedByTag() };
  // Temporal away at the start (restarting, not up yet) is waited for as it is mid-stream: --retry-for.
  const client = await connectClient(config.temporal, {
    retryForMs: options.retryFor * 1000,
    onRetry: ({ cause, pauseMs, retryForMs }) =>
      process.stderr.write(
        `starter: cannot reach Temporal at ${config.temporal.address} (${cause}); trying again in ` +
          `${Math.round(pauseMs / 1000)} s (for up to ${Math.round(retryForMs / 1000)} s: --retry-for)\n`,
      ),
  });
  if (config.temporal.searchAttributes) {
    // Fails with the missing attributes named, before any event is read (docs/operating.md).
    await checkSearchAttributes(client.connection, config.temporal.namespace).catch(
      async (error: unknown) => {
        await client.connection.close();
        throw error;
      },
    );
  }
  const input = openInput(file);
  const explainFailure = readErrorsNamed(file, input);
  // Progress only when a person watches stderr while the JSON lines go to a file or pipe.
  const bar = progress(process.stderr.isTTY === true && process.stdout.isTTY !== true);
  let count = 0;
  try {
    const summary = await submitStream(
      readEvents(input),
      {
        ...submitOptionsFor(client, config, options.wait),
        requestTimeoutMs: options.requestTimeout * 1000,
        concurrency: options.concurrency,
        retryForMs: options.retryFor * 1000,
        onRetry: ({ cause, outageMs, retryForMs }) =>
          process.stderr.write(
            `starter: Temporal unavailable for ${Math.round(outageMs / 1000)} s (${cause}); ` +
              `retrying for up to ${Math.round(retryForMs / 1000)} s; ${count} event(s) reported so far\n`,
          ),
      },
      (report) => {
        process.stdout.write(`${outputLine(report, options.full)}\n`);
        bar.tick(++count);
      },
    ).catch(explainFailure);
    bar.done();
    if (summary.total === 0) process.stderr.write(`starter: no events in ${file === '-' ? 'stdin' : file}\n`);
    process.exitCode = summary.anyUnsuccessful ? EXIT_UNSUCCESSFUL : 0;
  } finally {
    await client.connection.close();
  }
}

async function statusCommand(source: string, id: string, options: { full: boolean }) {
  const client = await connectClient(loadTemporalConfig());
  try {
    const { result, ...status } = await eventStatus(client, source, id);
    process.stdout.write(`${JSON.stringify(options.full && result ? { ...status, result } : status)}\n`);
    process.exitCode = status.outcome === 'unknown' ? EXIT_UNSUCCESSFUL : 0;
  } finally {
    await client.connection.close();
  }
}

/** IAM's policy name alphabet and length (as in contract/event.schema.json). */
const POLICY_NAME = /^[A-Za-z0-9+=,.@_-]{1,128}$/;

async function policyCommand(
  name: string,
  options: { path: string; document: boolean; history: boolean; json: boolean; account?: string },
) {
  if (!POLICY_NAME.test(name)) {
    throw new ConfigError(
      `invalid policy name ${JSON.stringify(name)}: IAM names are 1 to 128 of A-Z a-z 0-9 + = , . @ _ -`,
    );
  }
  const iamConfig = loadIamConfig();
  checkAccountOption(options.account, iamConfig.accounts.allowed);
  const client = await connectClient(loadTemporalConfig());
  const accounts = createAccountReads(iamConfig);
  try {
    // The policy workflow and IAM of the account, as the worker keys them (the default one when named).
    const account = await accounts.keyOf(options.account);
    const deps = accounts.depsFor(account);
    if (options.history) {
      const history = await policyHistory(client, deps, name, options.path, account);
      process.stdout.write(options.json ? `${JSON.stringify(history)}\n` : renderPolicyHistory(history));
      process.exitCode = history.exists ? 0 : EXIT_UNSUCCESSFUL;
      return;
    }
    const report = await policyReport(client, deps, name, options.path, account);
    if (!options.document && 'document' in report.iam) delete report.iam.document;
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = 'error' in report.iam ? EXIT_UNSUCCESSFUL : 0;
  } finally {
    accounts.destroy();
    await client.connection.close();
  }
}

async function planCommand(file: string) {
  const iamConfig = loadIamConfig();
  const client = await connectClient(loadTemporalConfig());
  const accounts = createAccountReads(iamConfig);
  const input = openInput(file);
  const explainFailure = readErrorsNamed(file, input);
  try {
    const summary = await dryRun(
      readEvents(input),
      { client, accounts, reservedTagKeys: [iamConfig.managedByTag.key] },
      (planned) => process.stdout.write(`${JSON.stringify(planned)}\n`),
    ).catch(explainFailure);
    process.exitCode = summary.anyUnsuccessful ? EXIT_UNSUCCESSFUL : 0;
  } finally {
    accounts.destroy();
    await client.connection.close();
  }
}

async function driftCommand(options: { repair: boolean; json: boolean; pathPrefix?: string }) {
  const temporal = loadTemporalConfig();
  const pathPrefix = options.pathPrefix ?? loadDriftConfig().pathPrefix;
  if (!/^(\/|\/[\x21-\x7E]+\/)$/.test(pathPrefix)) {
    throw new ConfigError(`invalid --path-prefix ${JSON.stringify(pathPrefix)}: an IAM path, / or /a/b/`);
  }
  const client = await connectClient(temporal);
  try {
    const { workflowId, report } = await runDriftCheck(client, {
      taskQueue: temporal.taskQueue,
      repair: options.repair,
      pathPrefix,
      searchAttributes: temporal.searchAttributes,
    });
    process.stdout.write(
      options.json ? `${JSON.stringify({ workflowId, ...report })}\n` : renderDriftReport(workflowId, report),
    );
    process.exitCode = report.outcome === 'drift' ? EXIT_UNSUCCESSFUL : 0;
  } finally {
    await client.connection.close();
  }
}

const ENVIRONMENT_HELP = `Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default),
TEMPORAL_TASK_QUEUE (iam-policy-events), TEMPORAL_TLS*, TEMPORAL_API_KEY, IAM_MANAGED_BY_TAG.`;
const AWS_HELP = `IAM is only read (GetPolicy, GetPolicyVersion, ListPolicies, ListPolicyVersions,
ListEntitiesForPolicy; sts:GetCallerIdentity unless AWS_ACCOUNT_ID is set; sts:AssumeRole for another
account), with AWS_REGION, credentials and AWS_ENDPOINT_URL_IAM as the AWS SDK reads them, and
IAM_ACCOUNTS, IAM_ASSUME_ROLE, IAM_EXTERNAL_ID, IAM_ROLE_SESSION_NAME as the worker reads them.`;

export function buildProgram(): Command {
  const program = new Command('starter')
    .description(
      'Submits IAM policy events (CloudEvents 1.0, structured JSON) to the iam-policy-events service.',
    )
    .exitOverride()
    .showHelpAfterError();
  program
    .command('submit')
    .argument('<file>', "NDJSON file, one CloudEvent a line (a JSON array is fine too); '-' reads stdin")
    .option('--wait', 'print each event once its outcome is final, instead of once it is accepted', false)
    .option('--concurrency <n>', 'events submitted at once', integerFrom(1, 1000), 16)
    .option('--full', "with --wait, include each event's full record (IAM actions, version IDs)", false)
    .option(
      '--retry-for <seconds>',
      'while Temporal is unavailable, keep retrying this long before giving up',
      integerFrom(0, 86400),
      120,
    )
    .option(
      '--request-timeout <seconds>',
      'a start Temporal does not answer within this counts as Temporal unavailable (a hung server)',
      integerFrom(1, 3600),
      10,
    )
    .description('submit events and print one JSON line per event')
    .addHelpText(
      'after',
      `
Each output line has source, id, policyName and outcome (accepted without --wait; with --wait one of
created, updated, unchanged, absent, retained-in-use, delete-pending, deleted, superseded, duplicate,
conflict, rejected, failed), plus reason and entities where they apply. delete-pending: a delete with
data.waitUntilUnused found the policy in use; its policy workflow deletes it once unused (see policy).

Examples:
  npm run --silent starter -- submit contract/examples/basic.ndjson --wait
  cat events.ndjson | npm run --silent starter -- submit - --concurrency 32

If Temporal cannot be reached at the start, or becomes unavailable mid-stream (unreachable, or not
answering a start within --request-timeout seconds), the starter retries (progress on stderr) for
--retry-for seconds, then stops naming the cause; the lines printed so far stand, and resubmitting the
whole input is safe (events already started come back as duplicates).

${ENVIRONMENT_HELP} TEMPORAL_SEARCH_ATTRIBUTES (on).
Exit status: 0 all events fine, 1 some event rejected/conflict/failed, 2 usage or connection error.`,
    )
    .action(submitCommand);

  program
    .command('status')
    .argument('<source>', "the event's CloudEvents source")
    .argument('<id>', "the event's CloudEvents id")
    .option('--full', "include the event's full record (IAM actions, version IDs)", false)
    .description('print how an event ended, or that it is running, or that it is unknown (one JSON line)')
    .addHelpText(
      'after',
      `
The line has source, id, workflowId, outcome (a final outcome, "running" or "unknown"), workflowStatus,
policyName, reason, startedAt/closedAt, and while running stage: delivering, waiting or applying (with
retrying: activity, attempt and lastError while IAM calls are retried).

Examples:
  npm run --silent starter -- status urn:example:access-requests evt-0002
  npm run --silent starter -- status urn:example:access-requests evt-0002 --full | jq .result.actions

${ENVIRONMENT_HELP}
Exit status: 0 the event is known (whatever its outcome), 1 unknown, 2 usage or connection error.`,
    )
    .action(statusCommand);

  program
    .command('policy')
    .argument('<name>', 'the policy name (any case: IAM names are case-insensitive)')
    .option('--path <path>', "the policy's IAM path, tried first (any path is searched after)", '/')
    .option('--document', "include the default version's document", false)
    .option(
      '--history',
      'list the versions, each with the event that made it (the audit record in IAM)',
      false,
    )
    .option('--json', 'with --history: one JSON object instead of the table', false)
    .option(
      '--account <id>',
      'the AWS account the policy is in (one of IAM_ACCOUNTS; default: the default account)',
    )
    .description("print the policy workflow's state and the policy as IAM has it (JSON)")
    .addHelpText(
      'after',
      `
workflow: status, pending (the event being applied, then the waiting ones), lastApplied (position and
result), recent results, deferredDeletion (a delete waiting until the policy is unused: status pending,
checks, nextCheckAt, deadline, entities; or how the last one ended: deleted, expired, cancelled,
replaced, absent, rejected). iam: exists, arn, path, defaultVersionId, owned (has the managed-by tag), tags,
versions, attachments (users, groups and roles using it, as policy or permissions boundary).

Examples:
  npm run --silent starter -- policy reports-read
  npm run --silent starter -- policy reports-read --document | jq .iam.document
  npm run --silent starter -- policy reports-read --history
  npm run --silent starter -- policy reports-read --account 222222222222

--account reads the policy workflow policy/<account>/<name> and IAM in that account through the role
the worker assumes there (IAM_ASSUME_ROLE, IAM_EXTERNAL_ID, IAM_ROLE_SESSION_NAME); an account not in
IAM_ACCOUNTS is a usage error.
--history reads the audit record: each version the service made carries the tag
iam-policy-events:<version> naming the event that made it, "<source> <id>", or "sha256:<digest>" of the pair
when that is no valid tag value (named from the policy workflow's recent results when they hold it).
Versions without the tag were not made by this service. --json: {policyName, exists, arn, owned,
versions: [{versionId, isDefault, createDate, madeBy: {kind: event|digest|not-the-service, ...}}]}.

${ENVIRONMENT_HELP}
${AWS_HELP}
Exit status: 0 shown, 1 IAM could not be read (the error is in iam.error) or, with --history, no such
policy in IAM, 2 usage or connection error (with --history, IAM errors too).`,
    )
    .action(policyCommand);

  program
    .command('plan')
    .argument('<file>', "NDJSON file, one CloudEvent a line (a JSON array is fine too); '-' reads stdin")
    .description('dry run: print what each event would do against IAM now, writing nothing')
    .addHelpText(
      'after',
      `
Nothing is written to IAM and no workflow is started, so no event ID is used up: submitting the same
file afterwards behaves as if the plan had never run. One JSON line per event: line, source, id,
policyName, wouldBe (created, updated, unchanged, absent, retained-in-use, delete-pending, deleted,
superseded, duplicate, conflict, rejected, or unknown when IAM could not be read), reason, entities, and plan (kind,
documentChanged, tagsToSet, tagKeysToRemove, notes) for events that would write. Each event is planned
alone against IAM and Temporal as they are now: events earlier in the file are not applied first.
An event naming data.account is planned in that account (its policy workflow, and IAM through the role
the worker assumes there); one naming an account not in IAM_ACCOUNTS would be rejected.

Examples:
  npm run --silent starter -- plan contract/examples/basic.ndjson
  cat events.ndjson | npm run --silent starter -- plan - | jq -c 'select(.wouldBe != "unchanged")'

${ENVIRONMENT_HELP}
${AWS_HELP}
Exit status: 0 every event would be fine, 1 some would be rejected/conflict or is unknown, 2 usage or
connection error.`,
    )
    .action(planCommand);

  program
    .command('drift')
    .option('--repair', 'submit a repair event for each policy that can be put back', false)
    .option('--json', 'print the report as one JSON object', false)
    .option(
      '--path-prefix <path>',
      'check only the policies under this IAM path (default DRIFT_PATH_PREFIX, /)',
    )
    .description('check now whether IAM still holds what the service last applied, and report (drift check)')
    .addHelpText(
      'after',
      `
Runs the drift check the worker's schedule runs (a reconcile workflow on the worker's task queue: a worker
must be running) and waits for it. Every policy the service manages is compared with IAM: the last applied
event of each policy workflow, and every policy under the path prefix with the managed-by tag. Kinds:
document-changed, tags-changed, deleted (repairable), unmanaged (managed-by tag removed), path-changed,
unknown (a managed policy no workflow wants); never repaired, only reported. With --repair each repairable
policy gets a repair event (source urn:iam-policy-events:drift-repair) that its policy workflow applies in
order, never over a newer event. IAM is read: 2 calls per managed policy, plus ListPolicies.

Examples:
  npm run --silent starter -- drift
  npm run --silent starter -- drift --repair
  npm run --silent starter -- drift --json | jq '.findings[] | {policyName, kinds}'

${ENVIRONMENT_HELP}
Exit status: 0 no drift (or all of it repaired), 1 drift left, 2 usage or connection error.`,
    )
    .action(driftCommand);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`starter: ${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`starter: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_USAGE;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
