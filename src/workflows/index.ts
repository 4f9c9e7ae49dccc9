// The workflows this service registers. Workflow code runs in Temporal's deterministic sandbox.
export { eventWorkflow } from './event-workflow';
export { policyWorkflow } from './policy-workflow';
export { reconcileWorkflow } from './reconcile-workflow';
