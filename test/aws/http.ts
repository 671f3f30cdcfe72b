import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** An HTTP server whose handler gets each request with its whole body (the loopback services read it before answering). */
export function bufferingServer(handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
}
