// Service workers in this test process behind one strict IAM proxy (real IAM's refusals on top of moto):
// the proxy starts before the file's tests and stops after them, rules are cleared after each test, and
// every service started is stopped at the end.
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { testIamEndpoint } from '../../harness/env';
import { startService, type RunningService, type StartServiceOptions } from '../../harness/service';

export interface ProxiedServices {
  /** The proxy (inside tests and hooks only: it starts in beforeAll). */
  readonly proxy: IamProxy;
  /** A service worker calling IAM through the proxy. */
  serviceWith(options?: StartServiceOptions): Promise<RunningService>;
  /** Stops a service before the end of the file. */
  stop(service: RunningService): Promise<void>;
}

/** Call at the top of a test file: registers the hooks that start and stop the proxy and the services. */
export function proxiedServices(): ProxiedServices {
  let started: IamProxy | undefined;
  const services: RunningService[] = [];
  beforeAll(async () => {
    started = await startIamProxy(testIamEndpoint(), { strict: true });
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await started?.close();
  });
  afterEach(() => started?.clearRules());
  const proxy = (): IamProxy => {
    if (!started) throw new Error('the IAM proxy starts in beforeAll: use it inside tests and hooks');
    return started;
  };
  return {
    get proxy() {
      return proxy();
    },
    async serviceWith(options = {}) {
      const service = await startService({ iamEndpoint: proxy().endpoint, ...options });
      services.push(service);
      return service;
    },
    async stop(service) {
      services.splice(services.indexOf(service), 1);
      await service.stop();
    },
  };
}
