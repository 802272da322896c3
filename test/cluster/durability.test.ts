import { afterAll, beforeAll, describe } from 'vitest'
import { clusterAt, durabilityScenarios } from '../support/durability-scenarios.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'

// test/durability.test.ts's scenarios on a real 3-master cluster, one for the whole file: each
// test is its own deployment (its own key prefix and secrets) on it, in-process Holdpoints and
// spawned worker processes alike naming it by HOLDPOINT_REDIS_CLUSTER_NODES. (A master
// SIGKILLed mid-run, the cluster's counterpart of the "own Redis" AOF test, is master-kill.test.ts.)
let cluster: RedisClusterProcess

beforeAll(async () => {
  cluster = await startRedisCluster()
}, 60_000)
afterAll(async () => {
  await cluster?.stop()
})

describe('durability on a 3-master Redis Cluster', () => {
  durabilityScenarios(clusterAt(() => cluster))
})
