/**
 * The one nginx configuration template of clusterbench: `make local`, `make bench-servers` and the
 * cluster's `nginx` Deployment all render it, so the topology measured is the same everywhere.
 */
export interface NginxConfigOptions {
  /** Address nginx listens on, e.g. `127.0.0.1:8080` or `8080`. */
  readonly listen: string;
  /** Upstream hello servers as `host:port`. */
  readonly upstreams: readonly string[];
  /** Folder nginx may write to: pid file and temp paths. Must exist. */
  readonly runDir: string;
  /** @default 'auto' (one worker per CPU) */
  readonly workerProcesses?: number | 'auto';
  /** Idle keep-alive connections to the upstream that each worker caches. @default 128 */
  readonly upstreamKeepalive?: number;
  /** Per-try connect/read timeout towards an upstream, ms. @default 3000 */
  readonly upstreamTimeoutMs?: number;
  /** How long an upstream that failed is skipped, s. @default 2 */
  readonly failTimeoutS?: number;
  /** @default 'stderr' */
  readonly errorLog?: string;
  /** Extra lines inside the `http` block (e.g. a resolver in a cluster). @default none */
  readonly extraHttpLines?: readonly string[];
  /**
   * Re-resolve upstream names while running (nginx 1.27.3 or newer: `zone` and `server ... resolve`),
   * for a headless Service whose pod addresses change; needs a `resolver` line in extraHttpLines.
   * @default false
   */
  readonly resolveUpstreams?: boolean;
}

export function renderNginxConfig(options: NginxConfigOptions): string {
  const {
    listen,
    upstreams,
    runDir,
    workerProcesses = 'auto',
    upstreamKeepalive = 128,
    upstreamTimeoutMs = 3000,
    failTimeoutS = 2,
    errorLog = 'stderr',
    extraHttpLines = [],
    resolveUpstreams = false,
  } = options;
  if (upstreams.length === 0) throw new Error('renderNginxConfig: upstreams is empty');
  if (resolveUpstreams && !extraHttpLines.some((l) => l.startsWith('resolver '))) {
    throw new Error('renderNginxConfig: resolveUpstreams needs a "resolver ..." line in extraHttpLines');
  }
  for (const u of upstreams) {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d+$/.test(u)) throw new Error(`renderNginxConfig: upstream "${u}" is not host:port`);
  }
  const dir = runDir.replace(/\/+$/, '');
  return [
    '# Rendered by clusterbench (src/nginx/nginx-config.ts). Do not edit: change the template.',
    // In the foreground, so it stays in the caller's session: Linux autogroup scheduling gives a
    // daemon (setsid) one session's share of CPU against everything else.
    'daemon off;',
    `worker_processes ${workerProcesses};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${errorLog} warn;`,
    'worker_rlimit_nofile 65535;',
    'events {',
    '    worker_connections 16384;',
    '    multi_accept on;',
    '}',
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${dir}/client_body;`,
    `    proxy_temp_path ${dir}/proxy;`,
    `    fastcgi_temp_path ${dir}/fastcgi;`,
    `    uwsgi_temp_path ${dir}/uwsgi;`,
    `    scgi_temp_path ${dir}/scgi;`,
    // Clients (the load generator) keep their connections open for the whole run, as they do
    // against a Go server, which has no per-connection request limit.
    '    keepalive_requests 1000000;',
    '    keepalive_timeout 75s;',
    ...extraHttpLines.map((l) => `    ${l}`),
    '    upstream hello {',
    // Re-resolved peers live in shared memory, so every worker sees the same addresses.
    ...(resolveUpstreams ? ['        zone hello 64k;'] : []),
    ...upstreams.map((u) => `        server ${u} max_fails=1 fail_timeout=${failTimeoutS}s${resolveUpstreams ? ' resolve' : ''};`),
    // Upstream keep-alive needs all three: keepalive here, HTTP/1.1 and an empty Connection header.
    `        keepalive ${upstreamKeepalive};`,
    '        keepalive_requests 1000000;',
    '    }',
    '    server {',
    `        listen ${listen} reuseport backlog=4096;`,
    '        location = /nginx-healthz {',
    '            return 200 "ok\\n";',
    '        }',
    '        location / {',
    '            proxy_pass http://hello;',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '            proxy_next_upstream error timeout;',
    `            proxy_connect_timeout ${upstreamTimeoutMs}ms;`,
    `            proxy_read_timeout ${upstreamTimeoutMs}ms;`,
    `            proxy_send_timeout ${upstreamTimeoutMs}ms;`,
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}
