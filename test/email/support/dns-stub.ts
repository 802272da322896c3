import { createSocket, type Socket } from 'node:dgram'

/**
 * A local DNS server answering TXT queries from a table (DKIM keys, DMARC policies), so
 * mailauth's checks run for real without a network lookup. Unknown names are NXDOMAIN;
 * known names with another record type have no data. Point HOLDPOINT_EMAIL_DNS_SERVERS at it.
 */
export interface DnsStub {
  server: string
  records: Map<string, string[]>
  close(): Promise<void>
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = []
  let at = offset
  for (;;) {
    const len = msg[at]
    if (len === undefined) throw new Error('truncated query')
    at += 1
    if (len === 0) break
    labels.push(msg.subarray(at, at + len).toString('latin1'))
    at += len
  }
  return { name: labels.join('.').toLowerCase(), end: at }
}

function txtRdata(value: string): Buffer {
  const chunks: Buffer[] = []
  const bytes = Buffer.from(value)
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const part = bytes.subarray(i, i + 255)
    chunks.push(Buffer.from([part.length]), part)
  }
  return Buffer.concat(chunks)
}

function answer(query: Buffer, records: Map<string, string[]>): Buffer {
  const { name, end } = readName(query, 12)
  const qtype = query.readUInt16BE(end)
  const question = query.subarray(12, end + 4)
  const known = records.get(name)
  const answers = known && qtype === 16 ? known : []
  const header = Buffer.alloc(12)
  query.copy(header, 0, 0, 2)
  header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(answers.length, 6)
  const rrs = answers.map((value) => {
    const rdata = txtRdata(value)
    const rr = Buffer.alloc(12)
    rr.writeUInt16BE(0xc00c, 0)
    rr.writeUInt16BE(16, 2)
    rr.writeUInt16BE(1, 4)
    rr.writeUInt32BE(60, 6)
    rr.writeUInt16BE(rdata.length, 10)
    return Buffer.concat([rr, rdata])
  })
  return Buffer.concat([header, question, ...rrs])
}

export async function startDnsStub(records: Record<string, string[]> = {}): Promise<DnsStub> {
  const table = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]))
  const socket: Socket = createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    try {
      socket.send(answer(msg, table), rinfo.port, rinfo.address)
    } catch {
      // A malformed query gets no answer, like from a real server.
    }
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return {
    server: `127.0.0.1:${socket.address().port}`,
    records: table,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
