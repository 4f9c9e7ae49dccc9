// The shaped floor's workflows (FLOOR_SHAPE=activities on bench/floor-worker.ts): as ./workflows.ts, with
// the policy workflow that takes the service's Temporal steps around IAM (./shaped-policy-workflow.ts).
export { eventWorkflow } from '../../src/workflows/event-workflow';
export { shapedFloorPolicyWorkflow as policyWorkflow } from './shaped-policy-workflow';
