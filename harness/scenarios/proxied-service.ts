// The service for one scenario, behind a strict IAM proxy of its own.
import { startIamProxy, type IamProxy, type IamProxyOptions } from '../iam-proxy';
import { startService, type RunningService } from '../service';
import type { ScenarioContext } from './context';

/** Runs `work` with the proxy (strict, seeded by the scenario) and the service; stops both after it. */
export async function withProxiedService<T>(
  context: ScenarioContext,
  proxyOptions: Partial<IamProxyOptions>,
  work: (proxy: IamProxy, service: RunningService) => Promise<T>,
): Promise<T> {
  const proxy = await startIamProxy(context.motoEndpoint, {
    strict: true,
    seed: context.seed,
    ...proxyOptions,
  });
  const service = await startService({
    iamEndpoint: proxy.endpoint,
    temporalAddress: context.temporalAddress,
  });
  try {
    return await work(proxy, service);
  } finally {
    await service.stop();
    await proxy.close();
  }
}
