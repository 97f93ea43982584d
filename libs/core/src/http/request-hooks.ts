import type { IncomingMessage } from 'http';
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { ErrorCode, httpStatusOf } from '../errors/error-code';
import { newId } from '../ids/new-id';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * Fastify options of ours. Request ids: the caller's X-Request-Id when it is sane, a fresh
 * id from newId() otherwise. Router errors (bad URL encoding, over-long path parameter) are raised
 * before Nest sees the request, so they get the contract's shape here.
 */
export const fastifyServerOptions: Pick<FastifyServerOptions, 'genReqId' | 'requestIdHeader' | 'frameworkErrors'> = {
  requestIdHeader: false,
  frameworkErrors: (error, _request, reply) => {
    const code = ErrorCode.VALIDATION_FAILED;
    void (reply as unknown as FastifyReply)
      .status(httpStatusOf(code))
      .send({ statusCode: httpStatusOf(code), error: code, message: error.message });
  },
  genReqId: (req: IncomingMessage) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
  },
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/(.+\+)?json\s*(;|$)/;

/** Whether a request body of this Content-Type is JSON (the usual spelling without a regex). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === 'application/json' || contentType === 'application/json; charset=utf-8') return true;
  return JSON_TYPE.test(String(contentType ?? '').toLowerCase());
}

/**
 * Hooks every request passes through before Nest sees it: echo the request id (and hand
 * it to pino-http), and refuse bodies that are not JSON with 415 in the contract's shape.
 */
export function registerRequestHooks(fastify: FastifyInstance): void {
  // While shutting down, in-flight responses close their connection so keep-alive sockets
  // don't hold the process open until their timeout.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    fastify.server.closeIdleConnections?.();
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('Connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    (request.raw as IncomingMessage & { id?: string }).id = request.id;
    void reply.header('X-Request-Id', request.id);
    const headers = request.headers;
    const hasBody = Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined;
    if (hasBody && BODY_METHODS.has(request.method) && !isJson(headers['content-type'])) {
      const code = ErrorCode.UNSUPPORTED_MEDIA_TYPE;
      void reply
        .status(httpStatusOf(code))
        .send({ statusCode: httpStatusOf(code), error: code, message: 'Request bodies must be application/json' });
      return;
    }
    done();
  });
}
