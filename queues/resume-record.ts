import type { CheckpointStore } from '../engine/checkpoint-store.js'

/**
 * Whether the audit says the agent was resumed. Completed resume jobs are not kept, so the
 * audit's `resumed` entry is the one record of a resume that outlives its job: a resume job
 * dispatched again after the first completed, and a re-drive without `force`, stop here.
 */
export async function wasResumed(store: Pick<CheckpointStore, 'auditKinds'>, checkpointId: string): Promise<boolean> {
  return (await store.auditKinds(checkpointId)).includes('resumed')
}
