// The starter CLI: submits CloudEvents from a file or stdin and prints one JSON line per event.
// Exit status: 0 when no event ended rejected, conflict or failed; 1 when one did; 2 for usage or connection errors.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config';
import { openInput, readEvents } from './starter/input';
import { submitStream } from './starter/submit-stream';
import type { SubmitReport } from './starter/submit';
import { connectClient } from './temporal-connection';

const EXIT_UNSUCCESSFUL = 1;
const EXIT_USAGE = 2;

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000) {
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  }
  return parsed;
}

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

async function submitCommand(file: string, options: { wait: boolean; concurrency: number; full: boolean }) {
  const config = loadConfig();
  const client = await connectClient(config.temporal).catch((error: Error) => {
    throw new ConfigError(`cannot reach Temporal at ${config.temporal.address}: ${error.message}`);
  });
  const input = openInput(file);
  const openError = new Promise<never>((_, reject) =>
    input.once('error', (error) => reject(new ConfigError(`cannot read ${file}: ${error.message}`))),
  );
  // Progress only when a person watches stderr while the JSON lines go to a file or pipe.
  const bar = progress(process.stderr.isTTY === true && process.stdout.isTTY !== true);
  let count = 0;
  try {
    const summary = await Promise.race([
      submitStream(
        readEvents(input),
        {
          client,
          taskQueue: config.temporal.taskQueue,
          wait: options.wait,
          concurrency: options.concurrency,
          reservedTagKeys: [config.managedByTag.key],
        },
        (report) => {
          process.stdout.write(`${outputLine(report, options.full)}\n`);
          bar.tick(++count);
        },
      ),
      openError,
    ]);
    bar.done();
    process.exitCode = summary.anyUnsuccessful ? EXIT_UNSUCCESSFUL : 0;
  } finally {
    await client.connection.close();
  }
}

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
    .option('--concurrency <n>', 'events submitted at once', positiveInteger, 16)
    .option('--full', "with --wait, include each event's full record (IAM actions, version IDs)", false)
    .description('submit events and print one JSON line per event')
    .addHelpText(
      'after',
      `
Each output line has source, id, policyName and outcome (accepted without --wait; with --wait one of
created, updated, unchanged, absent, retained-in-use, deleted, superseded, duplicate, conflict, rejected,
failed), plus reason and entities where they apply.

Examples:
  npm run --silent starter -- submit contract/examples/basic.ndjson --wait
  cat events.ndjson | npm run --silent starter -- submit - --concurrency 32

Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default),
TEMPORAL_TASK_QUEUE (iam-policy-events), TEMPORAL_TLS*, TEMPORAL_API_KEY, IAM_MANAGED_BY_TAG.
Exit status: 0 all events fine, 1 some event rejected/conflict/failed, 2 usage or connection error.`,
    )
    .action(submitCommand);
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
