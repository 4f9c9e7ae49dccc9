export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__servers ?? []).map((server) => server.stop()));
}
