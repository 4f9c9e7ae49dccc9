// What global-setup started, as seen from a test file.
export function testTemporalAddress(): string {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEST_TEMPORAL_ADDRESS is not set: run integration tests through jest (global-setup)');
  return address;
}

export function testIamEndpoint(): string {
  const endpoint = process.env.TEST_IAM_ENDPOINT;
  if (!endpoint)
    throw new Error('TEST_IAM_ENDPOINT is not set: run integration tests through jest (global-setup)');
  return endpoint;
}

/** A short random suffix so tests sharing one moto never touch each other's policies. */
export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
