// The guardrails file (IAM_GUARDRAILS_FILE): parsed and checked with zod at start, outside the workflow
// sandbox; the rules themselves are plain data that the pure checks in src/domain/guardrails.ts read.
import { z } from 'zod';
import { DEFAULT_GUARDRAIL_RULES, type GuardrailConfig } from '../domain/guardrails';

const ruleName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and dashes');
const pattern = z.string().min(1).max(2048);
const resourceScope = z.union([
  z.literal('any'),
  z.object({ reaching: z.array(pattern).min(1) }).strict(),
  z.object({ covering: z.array(pattern).min(1) }).strict(),
]);
const ruleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      name: ruleName,
      kind: z.literal('action'),
      description: z.string().min(1),
      actions: z.array(pattern).min(1),
      match: z.enum(['grants', 'covers']),
      resources: resourceScope,
      narrowedBy: z.array(pattern).min(1).optional(),
    })
    .strict(),
  z
    .object({
      name: ruleName,
      kind: z.enum(['allow-not-action', 'principal']),
      description: z.string().min(1),
    })
    .strict(),
]);
const configSchema = z
  .object({
    /** Free text for the reader of the file (JSON has no comments). */
    $comment: z.string().optional(),
    /** Start from the default rules (default true). */
    useDefaults: z.boolean().default(true),
    /** Default rules to leave out, by name. */
    disable: z.array(ruleName).default([]),
    /** Rules added to (or, with a default rule's name, replacing) the defaults. */
    rules: z.array(ruleSchema).default([]),
  })
  .strict();

export class GuardrailConfigError extends Error {
  override name = 'GuardrailConfigError';
}

/**
 * Reads a guardrail configuration (the JSON text of IAM_GUARDRAILS_FILE). Throws GuardrailConfigError
 * naming the problem: a configuration that cannot be read must stop the worker, not disable the rules.
 */
export function parseGuardrailConfig(text: string): GuardrailConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GuardrailConfigError(`not valid JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
    throw new GuardrailConfigError(problems.join('; '));
  }
  const { useDefaults, disable, rules } = parsed.data;
  const defaults = useDefaults ? DEFAULT_GUARDRAIL_RULES : [];
  const unknown = disable.filter((name) => !defaults.some((rule) => rule.name === name));
  if (unknown.length > 0)
    throw new GuardrailConfigError(`disable: no default rule named ${unknown.join(', ')}`);
  const names = rules.map((rule) => rule.name);
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) throw new GuardrailConfigError(`rules: ${repeated.join(', ')} defined twice`);
  const kept = defaults.filter((rule) => !disable.includes(rule.name) && !names.includes(rule.name));
  return { rules: [...kept, ...rules] };
}
