// A test fixture, run as its own process: an HTTP server that holds every response arriving while
// (time since start) mod P < S until that stall ends. Prints its port on stdout.
// Usage: node stall-server.mjs S_MS P_MS
import net from 'node:net';

const [stallMs, periodMs] = process.argv.slice(2).map(Number);
const start = performance.now();
const reply = 'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!';
const server = net.createServer((socket) => {
  let pending = '';
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    let end;
    while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
      pending = pending.slice(end + 4);
      const phase = (performance.now() - start) % periodMs;
      if (phase < stallMs) setTimeout(() => socket.write(reply), stallMs - phase);
      else socket.write(reply);
    }
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
