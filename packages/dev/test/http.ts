/** HTTP helpers shared by the receiver's tests. */
import { request } from 'node:http';

export interface Answer {
  status: number;
  body: Buffer;
}

/**
 * One request on a connection of its own (a kept-alive one the server closes
 * as it idles can race a new request), resolving with the whole answer.
 */
export function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST, resolving with the status. */
export async function post(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<number> {
  return (await send(url, 'POST', headers, body)).status;
}
