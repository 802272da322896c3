import { Server, ServerCredentials, status, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js'
import proto from '@temporalio/proto'

const v1 = proto.temporal.api.workflowservice.v1
type SignalRequest = proto.temporal.api.workflowservice.v1.SignalWorkflowExecutionRequest

interface Coder<T> {
  encode(message: T): { finish(): Uint8Array }
  decode(bytes: Uint8Array): T
}
const PATH = '/temporal.api.workflowservice.v1.WorkflowService/'

function unary<Req, Res>(method: string, req: Coder<Req>, res: Coder<Res>) {
  return {
    path: PATH + method,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => Buffer.from(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => Buffer.from(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.decode(b),
  } as const
}

/**
 * A Temporal frontend as far as a signal goes: WorkflowService.GetSystemInfo (the client's
 * connect check) and SignalWorkflowExecution, encoded with the protos @temporalio/proto ships.
 * Known workflows get OK; unknown ones NOT_FOUND, as the real server answers.
 */
export class TemporalService {
  readonly signals: SignalRequest[] = []
  readonly workflows = new Set<string>()
  failNext = 0
  address = ''
  private readonly server = new Server()

  async start(): Promise<this> {
    const definition = {
      GetSystemInfo: unary('GetSystemInfo', v1.GetSystemInfoRequest, v1.GetSystemInfoResponse),
      SignalWorkflowExecution: unary('SignalWorkflowExecution', v1.SignalWorkflowExecutionRequest, v1.SignalWorkflowExecutionResponse),
    } as unknown as ServiceDefinition
    this.server.addService(definition, {
      GetSystemInfo: (_call: ServerUnaryCall<unknown, unknown>, done: sendUnaryData<unknown>) => done(null, v1.GetSystemInfoResponse.create({})),
      SignalWorkflowExecution: (call: ServerUnaryCall<SignalRequest, unknown>, done: sendUnaryData<unknown>) => {
        this.signals.push(call.request)
        if (this.failNext > 0) {
          this.failNext--
          return done({ code: status.UNAVAILABLE, details: 'frontend restarting' })
        }
        const id = call.request.workflowExecution?.workflowId ?? ''
        if (!this.workflows.has(id)) return done({ code: status.NOT_FOUND, details: `workflow not found for ID: ${id}` })
        done(null, v1.SignalWorkflowExecutionResponse.create({}))
      },
    })
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    )
    this.address = `127.0.0.1:${port}`
    return this
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()))
  }
}
