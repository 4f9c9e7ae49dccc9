// `npm run ingest`: the CloudEvents HTTP endpoint. Hands every event to the starter library, like the
// CLI and the SQS consumer, so deduplication and ordering are the same whatever the source.
import './node-version'; // first: refuses a Node older than 24
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadLogLevel } from './config/environment';
import { loadManagedByTag } from './config/iam';
import { loadTemporalConfig } from './config/temporal';
import { loadIngestConfig } from './config/ingest';
import { createIngestServer } from './sources/http/server';
import { createLogger } from './observability/logging';
import { checkSearchAttributes } from './temporal/search-attribute-check';
import { submitEvent, submitOptionsFor } from './starter/submit';
import { ConnectAborted, connectClientAtStart } from './temporal/connection';

/** How long /readyz waits for Temporal before saying it is not ready. */
const READINESS_TIMEOUT_MS = 2000;

async function main(): Promise<void> {
  const config = { temporal: loadTemporalConfig(), managedByTag: loadManagedByTag() };
  const ingest = loadIngestConfig();
  const logger = createLogger(loadLogLevel());
  // Not listening until Temporal is reached: an event could not be accepted before.
  const client = await connectClientAtStart(config.temporal, {
    name: 'ingest',
    retryForMs: ingest.connectRetryMs,
    setting: 'INGEST_CONNECT_RETRY_MS',
  });
  if (config.temporal.searchAttributes)
    await checkSearchAttributes(client.connection, config.temporal.namespace);
  if (ingest.token === undefined) {
    process.stderr.write('ingest: WARNING: INGEST_AUTH=off: anyone who reaches the port can submit events\n');
  }
  const server: Server = createIngestServer({
    // The gRPC calls share the request's deadline, so a hung Temporal frees them too.
    submit: (raw) =>
      client.connection.withDeadline(Date.now() + ingest.requestTimeoutMs, () =>
        submitEvent(raw, submitOptionsFor(client, config, false)),
      ),
    ready: async () => {
      await client.connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () =>
        client.workflowService.getSystemInfo({}),
      );
      return true;
    },
    token: ingest.token,
    bodyLimit: ingest.bodyLimit,
    requestTimeoutMs: ingest.requestTimeoutMs,
    batchLimit: ingest.batchLimit,
    logger,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ingest.port, ingest.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  process.stderr.write(
    `ingest: listening on http://${ingest.host}:${port} (POST / or /events; /healthz, /readyz)\n`,
  );

  // Stop taking requests, let those in flight finish (each ends once its workflow started), then exit.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write('ingest: stopping\n');
      server.close(() => resolve());
      server.closeIdleConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await client.connection.close();
  process.stderr.write('ingest: stopped\n');
}

/** `--help` prints what the server does and reads; it takes no arguments (configuration is the environment). */
function parseArguments(argv: string[]): void {
  new Command('ingest')
    .description(
      'Serves the CloudEvents HTTP endpoint: POST IAM policy events, get 202 once each is durably started.',
    )
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Answers: 202 accepted, 200 duplicate, 409 conflict, 400 rejected (with the reason), 401, 413, 415, 503
with Retry-After when Temporal is unavailable or does not answer in time. GET /healthz, GET /readyz.
Modes: structured (application/cloudevents+json), binary (ce-* headers), batch
(application/cloudevents-batch+json). See docs/event-sources.md.

Environment: INGEST_TOKEN (required unless INGEST_AUTH=off), INGEST_PORT (8080), INGEST_HOST (0.0.0.0),
INGEST_BODY_LIMIT (1 MiB), INGEST_REQUEST_TIMEOUT_MS (10000), INGEST_BATCH_LIMIT (500),
INGEST_CONNECT_RETRY_MS (300000), LOG_LEVEL, TEMPORAL_* as for the worker (docs/configuration.md).
Temporal unreachable at start: tried again with backoff for INGEST_CONNECT_RETRY_MS, then exit 2; it
listens once Temporal is reached.
Exit status: 0 after SIGINT/SIGTERM, 2 for usage or configuration errors, 1 when it fails.`,
    )
    .parse(argv);
}

try {
  parseArguments(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  process.exit(error.exitCode === 0 ? 0 : 2);
}

main().catch((error: unknown) => {
  if (error instanceof ConnectAborted) {
    process.stderr.write('ingest: stopped (Temporal was never reached)\n');
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ingest: ${error instanceof ConfigError ? '' : 'failed: '}${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
