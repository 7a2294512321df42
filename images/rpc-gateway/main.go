// Command rpc-gateway answers HTTP by calling Server.Hello over net/rpc on a set of hello
// servers: persistent multiplexed connections, least-outstanding (or round-robin) balancing, a
// per-call timeout, one retry on another backend, and redial with backoff.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"clusterbench.dev/images/internal/metrics"
	"clusterbench.dev/images/internal/serve"
)

type config struct {
	httpAddr        string
	backends        []string
	backendsDNS     string
	balancer        string
	conns           int
	callTimeout     time.Duration
	retry           bool
	resolveInterval time.Duration
	cpuProfile      string
	drain           serve.Drain
}

// defaultConns is the connections per backend. One is cheapest: the codec batches the frames of
// concurrent calls into one write, and more connections split the batches (README, "The servers").
const defaultConns = 1

// checkHostPort accepts host:port with a numeric port 1-65535.
func checkHostPort(flagName, s string) error {
	_, port, err := net.SplitHostPort(s)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
		return serve.Usagef("invalid value %q for flag --%s: want host:port with a port 1-65535", s, flagName)
	}
	return nil
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var backends string
	fs := flag.NewFlagSet("rpc-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.httpAddr, "http", ":8080", "HTTP listen address (host:port; port 0 picks one)")
	fs.StringVar(&backends, "backends", "", "hello servers' RPC addresses, host:port,...")
	fs.StringVar(&c.backendsDNS, "backends-dns", "", "name:port whose addresses are the backends, re-resolved every --resolve-interval (a headless Service)")
	fs.StringVar(&c.balancer, "balancer", balancerP2C, "p2c (least outstanding of two random choices) or round-robin")
	fs.IntVar(&c.conns, "conns-per-backend", defaultConns, "persistent net/rpc connections per backend (1-64)")
	fs.DurationVar(&c.callTimeout, "call-timeout", 2*time.Second, "deadline of one request, retry included")
	fs.BoolVar(&c.retry, "retry", true, "retry once on another backend when a connection fails")
	fs.DurationVar(&c.resolveInterval, "resolve-interval", 5*time.Second, "how often --backends-dns is resolved again")
	fs.StringVar(&c.cpuProfile, "cpu-profile", "", "write a CPU profile (go tool pprof) of the whole run to this file, e.g. under make bench-servers PROFILE=...")
	c.drain.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: rpc-gateway --backends host:port,... | --backends-dns name:port [flags]\nEach flag can also be set as RPC_GATEWAY_<NAME>, e.g. RPC_GATEWAY_BALANCER=round-robin\n")
		fs.PrintDefaults()
	}
	if err := serve.ParseFlags(fs, "RPC_GATEWAY", args, getenv); err != nil {
		return c, err
	}
	switch {
	case backends == "" && c.backendsDNS == "":
		return c, serve.Usagef("flag --backends or --backends-dns is required")
	case backends != "" && c.backendsDNS != "":
		return c, serve.Usagef("flags --backends and --backends-dns exclude each other: give one")
	case backends != "":
		for _, b := range strings.Split(backends, ",") {
			if err := checkHostPort("backends", b); err != nil {
				return c, err
			}
			if !slices.Contains(c.backends, b) {
				c.backends = append(c.backends, b)
			}
		}
	default:
		if err := checkHostPort("backends-dns", c.backendsDNS); err != nil {
			return c, err
		}
	}
	if c.balancer != balancerP2C && c.balancer != balancerRoundRobin {
		return c, serve.Usagef("invalid value %q for flag --balancer: want p2c or round-robin", c.balancer)
	}
	if c.conns < 1 || c.conns > 64 {
		return c, serve.Usagef("invalid value %d for flag --conns-per-backend: want 1 to 64", c.conns)
	}
	if err := serve.CheckDurations(
		serve.DurationCheck{Flag: "call-timeout", Value: c.callTimeout, Min: time.Millisecond},
		serve.DurationCheck{Flag: "resolve-interval", Value: c.resolveInterval, Min: 100 * time.Millisecond},
	); err != nil {
		return c, err
	}
	if err := c.drain.Check(); err != nil {
		return c, err
	}
	return c, nil
}

// lookupHost is how a name becomes addresses: net.DefaultResolver.LookupHost, or a test's table.
type lookupHost func(ctx context.Context, host string) ([]string, error)

// resolveLoop sets the pool's backends to the addresses of name:port, now and every interval,
// until ctx ends. A failed lookup keeps the previous set.
func resolveLoop(ctx context.Context, p *pool, lookup lookupHost, hostPort string, interval time.Duration, stderr io.Writer) {
	host, port, _ := net.SplitHostPort(hostPort)
	var last string
	for {
		lctx, cancel := context.WithTimeout(ctx, interval)
		ips, err := lookup(lctx, host)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if msg := err.Error(); msg != last {
				fmt.Fprintf(stderr, "rpc-gateway: resolving %s: %v (keeping %d backends)\n", host, err, len(*p.backends.Load()))
				last = msg
			}
		} else {
			last = ""
			addrs := make([]string, len(ips))
			for i, ip := range ips {
				addrs[i] = net.JoinHostPort(ip, port)
			}
			sort.Strings(addrs)
			p.set(addrs)
		}
		select {
		case <-time.After(interval):
		case <-ctx.Done():
			return
		}
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	ln, err := serve.Listen("http", c.httpAddr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if c.cpuProfile != "" {
		stop, err := startCPUProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}

	p := newPool(c.balancer, c.conns)
	defer p.close()
	backendsDesc := strings.Join(c.backends, ",")
	if c.backendsDNS != "" {
		resolveCtx, stopResolving := context.WithCancel(context.Background())
		defer stopResolving()
		go resolveLoop(resolveCtx, p, net.DefaultResolver.LookupHost, c.backendsDNS, c.resolveInterval, stderr)
		backendsDesc = "dns:" + c.backendsDNS
	} else {
		p.set(c.backends)
	}

	g := &gateway{pool: p, callTimeout: c.callTimeout, attempts: 1}
	if c.retry {
		g.attempts = 2
	}
	health := serve.NewHealth(func() bool { return p.connected() > 0 })
	mux := http.NewServeMux()
	health.Register(mux)
	mux.Handle("GET /metrics", metrics.Handler(g.writeMetrics))
	httpServer := newHTTPServer(g.serveHello, mux)

	fmt.Fprintf(stderr, "rpc-gateway: listening http=%s backends=%s balancer=%s conns-per-backend=%d call-timeout=%s\n",
		ln.Addr(), backendsDesc, c.balancer, c.conns, c.callTimeout)

	return c.drain.Run(ctx, health, httpService(httpServer, ln))
}

func (g *gateway) writeMetrics(m metrics.Writer) {
	m.Family("rpc_gateway_http_responses_total", "counter", "GET / responses by status code.")
	for i, code := range statusCodes {
		m.Sample("rpc_gateway_http_responses_total", float64(g.responses[i].Load()), "code", strconv.Itoa(code))
	}
	m.Counter("rpc_gateway_retries_total", "Calls retried on another backend after a connection failure.", g.retries.Load())
	bs := *g.pool.backends.Load()
	m.Gauge("rpc_gateway_backends", "Backends known.", float64(len(bs)))
	m.Gauge("rpc_gateway_backends_connected", "Backends with at least one live connection.", float64(g.pool.connected()))
	m.Family("rpc_gateway_backend_calls_total", "counter", "Server.Hello calls by backend and result (ok, error, timeout).")
	for _, b := range bs {
		for r, name := range resultNames {
			m.Sample("rpc_gateway_backend_calls_total", float64(b.calls[r].Load()), "backend", b.addr, "result", name)
		}
	}
	m.Family("rpc_gateway_backend_connections", "gauge", "Live net/rpc connections by backend.")
	for _, b := range bs {
		m.Sample("rpc_gateway_backend_connections", float64(b.live.Load()), "backend", b.addr)
	}
	m.Family("rpc_gateway_backend_outstanding_calls", "gauge", "Calls in flight by backend.")
	for _, b := range bs {
		m.Sample("rpc_gateway_backend_outstanding_calls", float64(b.outstanding.Load()), "backend", b.addr)
	}
}

// startCPUProfile profiles the process into path until stop, which writes the profile out.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, serve.Usagef("flag --cpu-profile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func main() { serve.Main("rpc-gateway", run) }
