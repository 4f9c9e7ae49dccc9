// Connections to Temporal for the worker and the starter, from the same configuration.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from '../config/environment';
import type { TemporalConfig } from '../config/temporal';

function connectionOptions(config: TemporalConfig) {
  return { address: config.address, tls: config.tls, apiKey: config.apiKey };
}

/** An unreachable server is a ConfigError (exit 2) naming the address. */
function unreachable(config: TemporalConfig) {
  return (error: Error): never => {
    throw new ConfigError(`cannot reach Temporal at ${config.address}: ${error.message}`);
  };
}

/** A client connection. */
export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({
    ...connectionOptions(config),
    connectTimeout: '10 seconds',
  }).catch(unreachable(config));
  return new Client({ connection, namespace: config.namespace });
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config)).catch(unreachable(config));
}
