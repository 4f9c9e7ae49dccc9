// Every entry point (src/*.ts, and the programs in bench/ and scripts/) imports this first: on a Node
// older than the project supports it stops with a message that says what to do, instead of failing
// later in some less obvious way. package.json "engines" and scripts/ensure-tools.sh say the same.

export const MINIMUM_NODE_MAJOR = 24;

/** Why this Node will not do, or undefined when it will. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= MINIMUM_NODE_MAJOR) return undefined;
  return (
    `iam-policy-events needs Node.js ${MINIMUM_NODE_MAJOR} or later; this is Node.js ${version} ` +
    `(${process.execPath}).\n` +
    `The package.json scripts (npm run worker, npm test, npm run demo, ...) install Node ${MINIMUM_NODE_MAJOR} ` +
    `where needed and run on it; for a shell of your own: tools=$(bash scripts/ensure-tools.sh) && eval "$tools"`
  );
}

const problem = nodeVersionProblem();
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
