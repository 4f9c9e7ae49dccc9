// The worker's version in its Worker Deployment and when it makes it current, against a fake server.
import { buildIdOf, promoteVersion } from '../../src/temporal/worker-deployment';

const version = { deploymentName: 'iam-policy-events', buildId: '0.2.0-abc' };

/** A deployment as the server describes it; setCurrent fails with these gRPC codes first. */
function fakeServer(
  current: string | undefined,
  options: { registeredAfter?: number; failWith?: number } = {},
) {
  let describes = 0;
  const sets: { buildId?: string | null; conflictToken?: Uint8Array | null }[] = [];
  const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });
  const service = {
    describeWorkerDeployment: jest.fn(() => {
      describes += 1;
      if (describes <= (options.registeredAfter ?? 0)) {
        return Promise.reject(grpcError(5, 'Worker Deployment not found'));
      }
      return Promise.resolve({
        conflictToken: Uint8Array.of(describes),
        workerDeploymentInfo: {
          routingConfig: current
            ? { currentDeploymentVersion: { deploymentName: version.deploymentName, buildId: current } }
            : { currentVersion: '__unversioned__' },
        },
      });
    }),
    setWorkerDeploymentCurrentVersion: jest.fn(
      (request: { buildId?: string | null; conflictToken?: Uint8Array | null }) => {
        sets.push(request);
        if (options.failWith !== undefined) return Promise.reject(grpcError(options.failWith, 'refused'));
        current = request.buildId ?? undefined;
        return Promise.resolve({});
      },
    ),
  };
  return { service: service as unknown as Parameters<typeof promoteVersion>[0], sets };
}

test('the default build ID is the package version and a digest of the workflow code', () => {
  expect(buildIdOf('code', '1.2.3')).toMatch(/^1\.2\.3-[0-9a-f]{12}$/);
  expect(buildIdOf('code', '1.2.3')).toBe(buildIdOf('code', '1.2.3'));
  expect(buildIdOf('other code', '1.2.3')).not.toBe(buildIdOf('code', '1.2.3'));
});

test('if-none: a first deploy makes itself current, once the server knows the deployment', async () => {
  const { service, sets } = fakeServer(undefined, { registeredAfter: 2 });
  const promotion = await promoteVersion(service, {
    namespace: 'default',
    version,
    promote: 'if-none',
    retryIntervalMs: 1,
  });
  expect(promotion).toEqual({ promoted: true, currentBuildId: version.buildId });
  // With the token of the description it decided on: a concurrent change makes the set fail.
  expect(sets).toEqual([
    expect.objectContaining({ buildId: version.buildId, conflictToken: Uint8Array.of(3) }),
  ]);
});

test('if-none: a later build leaves the current version alone; always takes over; never only looks', async () => {
  const ifNone = fakeServer('0.1.0-old');
  expect(await promoteVersion(ifNone.service, { namespace: 'default', version, promote: 'if-none' })).toEqual(
    {
      promoted: false,
      currentBuildId: '0.1.0-old',
    },
  );
  expect(ifNone.sets).toEqual([]);

  const always = fakeServer('0.1.0-old');
  expect(await promoteVersion(always.service, { namespace: 'default', version, promote: 'always' })).toEqual({
    promoted: true,
    currentBuildId: version.buildId,
  });
  const again = fakeServer(version.buildId);
  expect(await promoteVersion(again.service, { namespace: 'default', version, promote: 'always' })).toEqual({
    promoted: false,
    currentBuildId: version.buildId,
  });
  expect(again.sets).toEqual([]);

  const never = fakeServer(undefined);
  expect(await promoteVersion(never.service, { namespace: 'default', version, promote: 'never' })).toEqual({
    promoted: false,
    currentBuildId: undefined,
  });
  expect(never.sets).toEqual([]);
});

test('a version the server keeps refusing fails after the time bound, naming build and deployment', async () => {
  const { service, sets } = fakeServer(undefined, { failWith: 9 });
  await expect(
    promoteVersion(service, {
      namespace: 'default',
      version,
      promote: 'if-none',
      timeoutMs: 50,
      retryIntervalMs: 5,
    }),
  ).rejects.toThrow('could not make build 0.2.0-abc current in Worker Deployment iam-policy-events: refused');
  expect(sets.length).toBeGreaterThan(1);
});

test('an error that waiting does not mend fails at once', async () => {
  const { service, sets } = fakeServer(undefined, { failWith: 7 });
  await expect(
    promoteVersion(service, { namespace: 'default', version, promote: 'if-none' }),
  ).rejects.toThrow(/refused/);
  expect(sets).toHaveLength(1);
});
