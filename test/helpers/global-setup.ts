// Starts one Temporal dev server and one moto for the whole integration run; tests isolate themselves
// with their own task queues and policy names. Addresses reach the test workers through the environment.
import { startMoto, startTemporal, type RunningServer } from '../../harness/servers';

declare global {
  var __servers: RunningServer[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const [temporal, moto] = await Promise.all([startTemporal(), startMoto()]);
  globalThis.__servers = [temporal, moto];
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_IAM_ENDPOINT = moto.address;
}
