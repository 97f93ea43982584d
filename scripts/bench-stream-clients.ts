/*
 * Worker thread of `npm run bench:stream`: holds the live clients (SSE or WebSocket), so their
 * parsing does not share an event loop with the load generator. For every stock event it keeps
 * the delay from the change's notice on the server (`changedAt`, stamped right after the commit)
 * to its arrival here, and per client the values seen.
 */
import { connect } from 'net';
import { parentPort, workerData } from 'worker_threads';
import { WebSocket } from 'ws';

interface Job {
  baseUrl: string;
  key: string;
  kind: 'sse' | 'ws';
  clients: number;
  sku: string;
}

interface Client {
  values: number[];
  soldOut: boolean;
  close(): void;
}

const job = workerData as Job;
const clients: Client[] = [];
let delays: number[] = [];
let events = 0;

function onStock(client: Client, data: { available: number; soldOut: boolean; changedAt: number }): void {
  delays.push(Date.now() - data.changedAt);
  events++;
  client.values.push(data.available);
  client.soldOut = data.soldOut;
}

/**
 * A raw socket speaking just enough HTTP: the stream's body is the socket's bytes (the server
 * sends `connection: close` and no chunking). Five thousand Node HTTP clients cost this shared
 * 2-core machine about as much CPU as the server's own writes; real clients are elsewhere.
 */
function openSse(): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${job.baseUrl}/v1/stock/stream?skus=${job.sku}`);
    const socket = connect(Number(url.port), url.hostname);
    const client: Client = { values: [], soldOut: false, close: () => socket.destroy() };
    let buffer = '';
    let headRead = false;
    socket.setEncoding('utf8');
    socket.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` +
        `authorization: Bearer ${job.key}\r\naccept: text/event-stream\r\n\r\n`,
    );
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (!headRead) {
        const headEnd = buffer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const status = buffer.slice(9, 12);
        if (status !== '200') {
          socket.destroy();
          return reject(new Error(`SSE refused: ${status}`));
        }
        buffer = buffer.slice(headEnd + 4);
        headRead = true;
        clients.push(client);
        resolve();
      }
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!frame.includes('event: stock')) continue;
        onStock(client, JSON.parse(frame.slice(frame.indexOf('data: ') + 6)));
      }
    });
    socket.on('error', reject);
  });
}

function openWs(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${job.baseUrl.replace('http', 'ws')}/v1/stock/ws?key=${job.key}`);
    const client: Client = { values: [], soldOut: false, close: () => socket.terminate() };
    socket.on('message', (raw) => {
      const message = JSON.parse((raw as Buffer).toString()); // ws hands text frames over as a Buffer
      if (message.type === 'stock') onStock(client, message);
    });
    socket.once('open', () => {
      socket.send(JSON.stringify({ op: 'subscribe', skus: [job.sku] }));
      clients.push(client);
      resolve();
    });
    socket.once('error', reject);
  });
}

async function main(): Promise<void> {
  const open = job.kind === 'sse' ? openSse : openWs;
  for (let i = 0; i < job.clients; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, job.clients - i) }, open));
  }
  while (clients.some((c) => c.values.length === 0)) await new Promise((r) => setTimeout(r, 50));
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', (message: { type: string }) => {
    if (message.type === 'reset') {
      delays = [];
      events = 0;
      parentPort!.postMessage({ type: 'reset' });
    } else if (message.type === 'report') {
      parentPort!.postMessage({
        type: 'report',
        events,
        delays,
        last: clients.map((c) => c.values[c.values.length - 1]),
        soldOut: clients.filter((c) => c.soldOut).length,
        inOrder: clients.filter((c) => c.values.every((v, i) => i === 0 || v <= c.values[i - 1])).length,
      });
    } else if (message.type === 'close') {
      for (const c of clients) c.close();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
