// A test fixture, run as its own process: an HTTP server of known capacity. It serves one request
// at a time, in arrival order over all connections, each taking SERVICE_MS of CPU (a busy loop, as
// a CPU-bound handler), so it answers at most 1000 / SERVICE_MS responses a second. It keeps the
// time of every request it received and every response it sent, and answers on stdout, for each
// line `count FROM TO` (epoch ms) on stdin, `<requests received> <responses sent>` in [FROM, TO).
// Prints its port on stdout first. Usage: node capacity-server.mjs SERVICE_MS
import net from 'node:net';
import { createInterface } from 'node:readline';

const serviceMs = Number(process.argv[2]);
const reply = 'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!';
const received = [];
const answered = [];
const queue = [];
let busy = false;
const epochNow = () => performance.timeOrigin + performance.now();

function serveNext() {
  const socket = queue.shift();
  if (socket === undefined) {
    busy = false;
    return;
  }
  busy = true;
  const until = performance.now() + serviceMs;
  while (performance.now() < until) {
    // the handler's work
  }
  if (!socket.destroyed) {
    socket.write(reply);
    answered.push(epochNow());
  }
  setImmediate(serveNext); // let arrivals in between, as a server's accept and read loop does
}

const server = net.createServer((socket) => {
  let pending = '';
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    let end;
    while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
      pending = pending.slice(end + 4);
      received.push(epochNow());
      queue.push(socket);
      if (!busy) serveNext();
    }
  });
});
const within = (times, from, to) => times.filter((t) => t >= from && t < to).length;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [, from, to] = line.split(' ').map(Number);
  process.stdout.write(`${within(received, from, to)} ${within(answered, from, to)}\n`);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
