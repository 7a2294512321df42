// make e2e's intruder: runs (node --input-type=module -e) in a pod of another namespace and claims to be a runner of
// the Benchmark running meanwhile, with a made-up token, as CLAIMS lists ([{ job, runner }]).
// Prints one line per claim with the HTTP status the controller answered: `... HTTP 403` is the
// refusal; `HTTP 101` would be an accepted socket. Node's http only (the image's node_modules
// are the controller's): a WebSocket upgrade request carrying the runner's headers.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const url = process.env.CONTROLLER_URL; // ws://...: the same request over http://
const claims = JSON.parse(process.env.CLAIMS);

function claim({ job, runner }) {
  return new Promise((resolve) => {
    const req = http.request(url.replace(/^ws/, 'http'), {
      timeout: 10_000,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        authorization: `Bearer ${randomBytes(32).toString('base64url')}`,
        'x-clusterbench-job': job,
        'x-clusterbench-runner': String(runner),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(`HTTP ${res.statusCode}`);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(`HTTP ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (error) => resolve(`error ${error.code ?? error.message}`));
    req.end();
  });
}

for (const c of claims) console.log(`${url}: job ${c.job} runner ${c.runner}: ${await claim(c)}`);
