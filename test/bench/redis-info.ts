import type { Redis } from 'ioredis'

/** Commands Redis has run since it started, every command inside a Lua script included (INFO commandstats). */
export async function commandCalls(redis: Redis): Promise<number> {
  let calls = 0
  for (const m of (await redis.info('commandstats')).matchAll(/calls=(\d+)/g)) calls += Number(m[1])
  return calls
}

/** INFO memory's used_memory, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1])
}
