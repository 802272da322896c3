import { randomBytes, randomFillSync } from 'node:crypto'

const BLOCK_BYTES = 4096

let block = Buffer.alloc(0)
let used = 0

/**
 * `randomBytes(n)` for small n (nonces, ids), cut from a 4 KiB block of the same CSPRNG: each
 * `randomBytes` call is a round trip into OpenSSL that costs more than the bytes, and a
 * lifecycle asks for a dozen. A used block is dropped, never refilled, so a slice handed out
 * never changes under its holder.
 */
export function pooledRandomBytes(n: number): Buffer {
  if (n > BLOCK_BYTES / 8) return randomBytes(n)
  if (used + n > block.length) {
    block = randomFillSync(Buffer.allocUnsafeSlow(BLOCK_BYTES))
    used = 0
  }
  const out = block.subarray(used, used + n)
  used += n
  return out
}
