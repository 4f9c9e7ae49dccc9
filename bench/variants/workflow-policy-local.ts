// `@temporalio/workflow` with the policy workflow's inspectPolicy and applyPlan as local activities.
export * from '@temporalio/workflow/lib/index';
import { localActivityProxy } from './local-activities';

export const proxyActivities = localActivityProxy(['inspectPolicy', 'applyPlan']);
