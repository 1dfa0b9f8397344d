import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js'
import {
  decodeHealthRequest,
  decodeHealthResponse,
  encodeHealthRequest,
  encodeHealthResponse,
  HEALTH_CHECK_PATH,
} from '../checkers/grpc/proto.ts'

/** A grpc-js server on 127.0.0.1 with the grpc.health.v1 Check method. */
export interface TestGrpcServer {
  port: number
  /** Serving status by service name ('' is the server): 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN. */
  statuses: Map<string, number>
  /** Check calls received. */
  calls: number
  close(): Promise<void>
}

/** The Check method, with the hand-written codec the checker uses: grpc-js checks it interoperates. */
const healthService: ServiceDefinition = {
  check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    // An object, as a protobuf library gives: grpc-js takes a falsy request for none at all.
    requestSerialize: (request: { service: string }) => encodeHealthRequest(request.service),
    requestDeserialize: (buf: Buffer) => ({ service: decodeHealthRequest(buf) }),
    responseSerialize: (value: number) => encodeHealthResponse(value),
    responseDeserialize: (buf: Buffer) => decodeHealthResponse(buf) ?? 0,
  },
}

/**
 * Starts a real gRPC server (@grpc/grpc-js) with the health service on 127.0.0.1:0, in plain
 * text or with a TLS key pair. A service missing from `statuses` answers NOT_FOUND, as the
 * reference health service does; `statuses: null` leaves the health service out (every call
 * is then UNIMPLEMENTED).
 */
export async function startGrpcServer(
  statuses: Record<string, number> | null,
  tls?: { key: string; cert: string },
): Promise<TestGrpcServer> {
  const server = new Server()
  const result: TestGrpcServer = {
    port: 0,
    statuses: new Map(Object.entries(statuses ?? {})),
    calls: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown()
        resolve()
      }),
  }
  if (statuses !== null)
    server.addService(healthService, {
      check: (call: ServerUnaryCall<{ service: string }, number>, callback: sendUnaryData<number>) => {
        result.calls++
        const value = result.statuses.get(call.request.service)
        if (value === undefined) callback({ code: status.NOT_FOUND, details: 'unknown service' })
        else callback(null, value)
      },
    })
  const credentials = tls
    ? ServerCredentials.createSsl(null, [
        { private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) },
      ])
    : ServerCredentials.createInsecure()
  result.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))),
  )
  return result
}
