// Package serve holds what the hello server and the RPC gateway share as programs: flags that
// environment variables can preset, one-line usage errors with exit status 2, hardened HTTP
// servers, health endpoints, and a drain on SIGTERM.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

var singleDash = regexp.MustCompile(`(flag |: )-\b`)

// UsageError is bad input from the command line or environment: the program prints it on one
// line and exits 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Exit prints err as one line prefixed with prog and exits: 2 for a UsageError, 1 otherwise, 0
// for nil.
func Exit(prog string, stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %s\n", prog, strings.ReplaceAll(err.Error(), "\n", " "))
	var ue *UsageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// EnvName is the environment variable that presets flag name: PREFIX_NAME, dashes as underscores.
func EnvName(prefix, name string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// ParseFlags presets every flag of fs from its environment variable (see EnvName), then parses
// args, so a flag on the command line wins over the environment. Errors are UsageErrors naming
// the flag or variable; -h prints the usage and returns flag.ErrHelp.
func ParseFlags(fs *flag.FlagSet, envPrefix string, args []string, getenv func(string) string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(envPrefix, f.Name)
		if v := getenv(name); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = Usagef("invalid value %q for %s (flag --%s): %v", v, name, f.Name, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	usage := fs.Output()
	fs.SetOutput(io.Discard) // errors are reported by the caller, on one line
	err := fs.Parse(args)
	fs.SetOutput(usage)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		// The flag package names flags with one dash; the documented spelling has two.
		return &UsageError{Msg: singleDash.ReplaceAllString(err.Error(), "$1--")}
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q (all settings are flags, see -h)", fs.Arg(0))
	}
	return nil
}

// Listen listens on TCP addr for the flag named flagName; failures are UsageErrors naming it.
func Listen(flagName, addr string) (net.Listener, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, Usagef("invalid value %q for flag --%s: want host:port, e.g. :8080", addr, flagName)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, Usagef("flag --%s: %v", flagName, err)
	}
	return l, nil
}

// MaxHeaderBytes bounds a request head; larger ones get 431.
const MaxHeaderBytes = 16 << 10

// NewHTTPServer returns an http.Server with limits suited to a server under load test: no
// timeout on a busy keep-alive connection, but bounds on slow or oversized request heads.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          log.New(os.Stderr, "", log.LstdFlags),
	}
}

// MaxBodyBytes bounds a request body: nothing here reads one, but a client may send one.
const MaxBodyBytes = 64 << 10

// RejectBody answers 413 and returns false when r carries a body larger than MaxBodyBytes; a
// smaller body is read and dropped, so the connection stays usable.
func RejectBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength == 0 {
		return true
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, MaxBodyBytes)); err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return false
	}
	return true
}

// Health serves /healthz (always 200 while the process runs) and /readyz (200 when ready and
// not draining, else 503).
type Health struct {
	draining atomic.Bool
	ready    func() bool
}

// NewHealth returns a Health; ready reports whether the program can serve (nil: always).
func NewHealth(ready func() bool) *Health {
	return &Health{ready: ready}
}

// Drain makes /readyz fail from now on.
func (h *Health) Drain() { h.draining.Store(true) }

// Ready reports what /readyz answers.
func (h *Health) Ready() bool {
	return !h.draining.Load() && (h.ready == nil || h.ready())
}

// Register adds /healthz and /readyz to mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !h.Ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
}

// TuneGC makes the garbage collector run less often unless GOGC is set: these servers keep a
// heap of a few MiB and allocate per request, so the default (GOGC=100) collects many times a
// second; 400 trades a few MiB for a few percent of CPU.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// SignalContext is cancelled by SIGTERM or SIGINT; a second signal kills the process as usual.
func SignalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		cancel() // restores default handling, so a second signal is not ignored
	}()
	return ctx, cancel
}

// Main runs a server program's run function with a context that SIGTERM or SIGINT cancels, and
// exits with its status: 0, 1, 2 for a UsageError, 0 for -h.
func Main(prog string, run func(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error) {
	TuneGC()
	ctx, stop := SignalContext()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	os.Exit(Exit(prog, os.Stderr, err))
}

// DurationCheck is a lower bound for a duration flag.
type DurationCheck struct {
	Flag       string
	Value, Min time.Duration
}

// CheckDurations returns a UsageError for the first check whose value is below its minimum.
func CheckDurations(checks ...DurationCheck) error {
	for _, c := range checks {
		if c.Value < c.Min {
			return Usagef("invalid value %s for flag --%s: must be >= %s", c.Value, c.Flag, c.Min)
		}
	}
	return nil
}

// Drain is how a server stops on SIGTERM: --drain-delay and --drain-timeout.
type Drain struct{ Delay, Timeout time.Duration }

// RegisterFlags adds --drain-delay and --drain-timeout to fs.
func (d *Drain) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&d.Delay, "drain-delay", 0, "on SIGTERM, keep serving this long with /readyz failing before closing listeners (time for endpoints to update)")
	fs.DurationVar(&d.Timeout, "drain-timeout", 20*time.Second, "on SIGTERM, how long requests in flight may take to finish")
}

// Check validates the flags.
func (d *Drain) Check() error {
	return CheckDurations(DurationCheck{"drain-delay", d.Delay, 0}, DurationCheck{"drain-timeout", d.Timeout, 0})
}

// Service is one thing a program serves: Serve blocks until Shutdown, which closes the listener,
// lets what is in flight finish, and returns when it has (or ctx ends).
type Service struct {
	Serve    func() error
	Shutdown func(ctx context.Context) error
}

// Run serves every service until ctx ends (or one fails), then drains: /readyz fails, after Delay
// every service shuts down at once, all within Timeout.
func (d Drain) Run(ctx context.Context, health *Health, services ...Service) error {
	errc := make(chan error, len(services))
	for _, s := range services {
		go func() { errc <- s.Serve() }()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	health.Drain()
	time.Sleep(d.Delay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	done := make(chan error, len(services))
	for _, s := range services {
		go func() { done <- s.Shutdown(shutdownCtx) }()
	}
	var errs []error
	for range services {
		errs = append(errs, <-done)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("draining: %w", err)
	}
	return nil
}

// HTTPService serves srv on l.
func HTTPService(srv *http.Server, l net.Listener) Service {
	return Service{
		Serve: func() error {
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		Shutdown: srv.Shutdown,
	}
}
