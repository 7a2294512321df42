import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { writeToSocket } from '../../loadtest/handle-write.js';

describe('writeToSocket', () => {
  it('learns the write path from one socket.write, then writes through the handle, in order', async () => {
    const received: string[] = [];
    const raw = net.createServer((socket) => socket.on('data', (d) => received.push(d.toString('latin1'))));
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const socket = net.connect((raw.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    const paths: boolean[] = [];
    for (let i = 0; i < 50; i++) paths.push(writeToSocket(socket, Buffer.from(`${i},`, 'latin1')));
    await expect.poll(() => received.join('').split(',').length, { timeout: 5000 }).toBe(51);
    // This Node's internals are the ones handle-write.ts expects: only the first write used socket.write.
    expect(paths[0]).toBe(false);
    expect(paths.slice(1).every((p) => p)).toBe(true);
    expect(received.join('')).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
    socket.destroy();
    raw.close();
    await once(raw, 'close');
  });
});
