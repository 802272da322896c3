/**
 * Redis Cluster's key → slot function (CRC16/XMODEM of the hash tag, or of the whole key when
 * it has none, mod 16384), so shard tags can be chosen by the slot they land in.
 */
export const SLOTS = 16384

const TABLE = (() => {
  const table = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let crc = i << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[i] = crc
  }
  return table
})()

function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!
  return crc
}

/** The part of a key that decides its slot: the first non-empty `{…}`, else the key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{')
  if (open === -1) return key
  const close = key.indexOf('}', open + 1)
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close)
}

export function keySlot(key: string): number {
  return crc16(new TextEncoder().encode(hashTagOf(key))) % SLOTS
}
