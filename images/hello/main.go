// Command hello is the server under test: the seed's "Hello, World!" over HTTP and over net/rpc
// (Server.Hello), with knobs for CPU work, I/O wait and response size.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"clusterbench.dev/images/internal/hellorpc"
	"clusterbench.dev/images/internal/serve"
)

// maxPayload bounds --payload: responses of a few MiB measure the network, not the topology.
const maxPayload = 8 << 20

type config struct {
	httpAddr, rpcAddr, id string
	work, delay           time.Duration
	payload               int
	drainDelay            time.Duration
	drainTimeout          time.Duration
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.httpAddr, "http", ":8080", "HTTP listen address (host:port; port 0 picks one)")
	fs.StringVar(&c.rpcAddr, "rpc", ":9090", "net/rpc listen address (host:port; port 0 picks one)")
	fs.StringVar(&c.id, "id", "", "instance id sent as X-Served-By (default $POD_NAME, else the bound HTTP address)")
	fs.DurationVar(&c.work, "work", 0, "CPU work per request, calibrated at start-up to a fixed count of hash rounds")
	fs.DurationVar(&c.delay, "delay", 0, "simulated I/O wait per request")
	fs.IntVar(&c.payload, "payload", 0, "response body size in bytes (0: the seed's \"Hello, World!\")")
	fs.DurationVar(&c.drainDelay, "drain-delay", 0, "on SIGTERM, keep serving this long with /readyz failing before closing listeners")
	fs.DurationVar(&c.drainTimeout, "drain-timeout", 20*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hello [flags]; each flag can also be set as HELLO_<NAME>, e.g. HELLO_WORK=200us\n")
		fs.PrintDefaults()
	}
	if err := serve.ParseFlags(fs, "HELLO", args, getenv); err != nil {
		return c, err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"work", c.work}, {"delay", c.delay}, {"drain-delay", c.drainDelay}, {"drain-timeout", c.drainTimeout}} {
		if d.v < 0 {
			return c, serve.Usagef("invalid value %s for flag --%s: must be >= 0", d.v, d.name)
		}
	}
	if c.payload < 0 || c.payload > maxPayload {
		return c, serve.Usagef("invalid value %d for flag --payload: must be 0 to %d bytes", c.payload, maxPayload)
	}
	if c.id == "" {
		c.id = getenv("POD_NAME")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	httpLn, err := serve.Listen("http", c.httpAddr)
	if err != nil {
		return err
	}
	defer httpLn.Close()
	rpcLn, err := serve.Listen("rpc", c.rpcAddr)
	if err != nil {
		return err
	}
	defer rpcLn.Close()
	if c.id == "" {
		c.id = httpLn.Addr().String()
	}

	h := newHello(c.id, c.payload, calibrate(c.work), c.delay)
	health := serve.NewHealth(nil)
	rpcServer := hellorpc.NewServer(h.rpcHello)
	httpServer := serve.NewHTTPServer(h.mux(health))

	fmt.Fprintf(stderr, "hello: listening http=%s rpc=%s id=%s work-rounds=%d\n",
		httpLn.Addr(), rpcLn.Addr(), c.id, h.rounds)

	errc := make(chan error, 2)
	go func() { errc <- httpServer.Serve(httpLn) }()
	go func() { errc <- rpcServer.Serve(rpcLn) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}

	health.Drain()
	time.Sleep(c.drainDelay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.drainTimeout)
	defer cancel()
	rpcLn.Close()
	rpcDone := make(chan error, 1)
	go func() { rpcDone <- rpcServer.Shutdown(shutdownCtx) }()
	err = errors.Join(httpServer.Shutdown(shutdownCtx), <-rpcDone)
	if err != nil {
		return fmt.Errorf("draining: %w", err)
	}
	return nil
}

func main() {
	serve.TuneGC()
	ctx, stop := serve.SignalContext()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	os.Exit(serve.Exit("hello", os.Stderr, err))
}
