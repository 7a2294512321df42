// Command hello is the server under test: the seed's "Hello, World!" over HTTP and over net/rpc
// (Server.Hello), with knobs for CPU work, I/O wait and response size.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	drain                 serve.Drain
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
	c.drain.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hello [flags]; each flag can also be set as HELLO_<NAME>, e.g. HELLO_WORK=200us\n")
		fs.PrintDefaults()
	}
	if err := serve.ParseFlags(fs, "HELLO", args, getenv); err != nil {
		return c, err
	}
	if err := serve.CheckDurations(serve.DurationCheck{Flag: "work", Value: c.work}, serve.DurationCheck{Flag: "delay", Value: c.delay}); err != nil {
		return c, err
	}
	if err := c.drain.Check(); err != nil {
		return c, err
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
	// Without --work or --delay a call takes microseconds and never blocks.
	rpcServer := hellorpc.NewServer(h.rpcHello, h.rounds == 0 && h.delay == 0)
	httpServer := serve.NewHTTPServer(h.mux(health, rpcServer.Conns))

	fmt.Fprintf(stderr, "hello: listening http=%s rpc=%s id=%s work-rounds=%d\n",
		httpLn.Addr(), rpcLn.Addr(), c.id, h.rounds)

	return c.drain.Run(ctx, health,
		serve.HTTPService(httpServer, httpLn),
		serve.Service{
			Serve: func() error { return rpcServer.Serve(rpcLn) },
			Shutdown: func(ctx context.Context) error {
				rpcLn.Close()
				return rpcServer.Shutdown(ctx)
			},
		})
}

func main() { serve.Main("hello", run) }
