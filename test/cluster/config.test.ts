import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../ops/config.js'

describe('HOLDPOINT_REDIS_CLUSTER_NODES', () => {
  it('takes host:port seeds (IPv6 in brackets) and switches to the cluster layout', () => {
    const config = loadConfig({ HOLDPOINT_REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,[::1]:7002' })
    expect(config.redisCluster).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ])
    expect(loadConfig({}).redisCluster).toBeNull()
  })

  it('names every bad entry in one message', () => {
    let error: unknown
    try {
      loadConfig({ HOLDPOINT_REDIS_CLUSTER_NODES: 'redis-a:7000,redis-b,redis-c:99999,:7003' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problem = (error as ConfigError).problems.find((p) => p.variable === 'HOLDPOINT_REDIS_CLUSTER_NODES')
    expect(problem?.message).toBe('each node must be host:port (port 1-65535); not "redis-b", "redis-c:99999", ":7003"')
  })
})
