// `npm run consume-sqs -- --queue-url URL`: consumes CloudEvents (structured JSON message bodies) from
// SQS until SIGINT/SIGTERM, through the same starter library as the CLI and the HTTP endpoint.
import './node-version'; // first: refuses a Node older than 24
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadLogLevel } from './config/environment';
import { loadManagedByTag } from './config/iam';
import { loadTemporalConfig } from './config/temporal';
import { createLogger } from './observability/logging';
import { checkSearchAttributes } from './temporal/search-attribute-check';
import { consumeQueue } from './sources/sqs/consumer';
import { submitEvent, submitOptionsFor } from './starter/submit';
import { integerFrom } from './config/cli-options';
import { ConnectAborted, connectClientAtStart } from './temporal/connection';

/** Longest wait for Temporal's answer when checking whether it is back. */
const READINESS_TIMEOUT_MS = 2000;

interface ConsumeOptions {
  queueUrl: string;
  waitTime: number;
  maxMessages: number;
  /** Longest wait for Temporal to start one message's workflow, in seconds. */
  requestTimeout: number;
  /** How long to keep trying to reach Temporal at start, in seconds (0: once). */
  connectRetryFor: number;
}

async function consume(options: ConsumeOptions): Promise<void> {
  const config = { temporal: loadTemporalConfig(), managedByTag: loadManagedByTag() };
  const logger = createLogger(loadLogLevel());
  const client = await connectClientAtStart(config.temporal, {
    name: 'consume-sqs',
    retryForMs: options.connectRetryFor * 1000,
    setting: '--connect-retry-for',
  });
  if (config.temporal.searchAttributes)
    await checkSearchAttributes(client.connection, config.temporal.namespace);
  // An endpoint set in the environment (a VPC endpoint, moto) is used as given; otherwise the SDK sends
  // each call to the queue URL's host.
  const endpointConfigured = Boolean(process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL);
  const sqs = new SQSClient({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    useQueueUrlAsEndpoint: !endpointConfigured,
  });
  const stop = new AbortController();
  const onSignal = () => {
    process.stderr.write('consume-sqs: stopping after the messages in hand\n');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stderr.write(`consume-sqs: polling ${options.queueUrl}\n`);
  try {
    await consumeQueue({
      sqs,
      queueUrl: options.queueUrl,
      // A deadline, so a hung Temporal is noticed like an unreachable one (the message then stays).
      submit: (raw) =>
        client.connection.withDeadline(Date.now() + options.requestTimeout * 1000, () =>
          submitEvent(raw, submitOptionsFor(client, config, false)),
        ),
      available: async () => {
        await client.connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () =>
          client.workflowService.getSystemInfo({}),
        );
        return true;
      },
      logger,
      waitTimeSeconds: options.waitTime,
      maxMessages: options.maxMessages,
      signal: stop.signal,
    });
  } finally {
    sqs.destroy();
    await client.connection.close();
  }
  process.stderr.write('consume-sqs: stopped\n');
}

function buildProgram(): Command {
  return new Command('consume-sqs')
    .description('Consumes IAM policy events (CloudEvents, structured JSON bodies) from an SQS queue.')
    .requiredOption('--queue-url <url>', 'the queue (standard or FIFO)')
    .option('--wait-time <seconds>', 'long-poll wait of each receive', integerFrom(1, 20), 20)
    .option('--max-messages <n>', 'messages per receive', integerFrom(1, 10), 10)
    .option(
      '--request-timeout <seconds>',
      "a message's start Temporal does not answer within this counts as Temporal unavailable",
      integerFrom(1, 3600),
      10,
    )
    .option(
      '--connect-retry-for <seconds>',
      'Temporal unreachable at start is tried again with backoff for this long (0: once), then exit 2',
      integerFrom(0, 86_400),
      300,
    )
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
A message is deleted once its event workflow has started (or was found a duplicate). Anything else is
left in the queue and comes back after the visibility timeout: a body that is not JSON, an invalid
event, a conflict (same source and id, other payload). Give the queue a redrive policy (maxReceiveCount
3 or more) so that such messages end in its dead-letter queue. Each one is logged with its message ID
and reason (JSON lines on stdout, LOG_LEVEL). While Temporal is unavailable (unreachable, or not
answering a start within --request-timeout seconds) nothing is received, so an outage does not
dead-letter valid messages. FIFO queues keep their order per message group.

Examples:
  npm run consume-sqs -- --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/iam-policy-events
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 npm run consume-sqs -- --queue-url http://127.0.0.1:5000/123456789012/events --wait-time 5

Environment: TEMPORAL_* as for the worker; AWS_REGION, credentials and AWS_ENDPOINT_URL_SQS /
AWS_ENDPOINT_URL as the AWS SDK reads them. Needs sqs:ReceiveMessage and sqs:DeleteMessage.
Exit status: 0 after SIGINT/SIGTERM, 2 for usage, configuration or connection errors.`,
    )
    .action(consume);
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ConnectAborted) {
      process.stderr.write('consume-sqs: stopped (Temporal was never reached)\n');
      return 0;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`consume-sqs: ${error instanceof ConfigError ? '' : 'failed: '}${message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
