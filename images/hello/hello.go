package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"clusterbench.dev/images/internal/metrics"
	"clusterbench.dev/images/internal/serve"
)

// seedBody is what the seed's handler answers.
const seedBody = "Hello, World!"

// hello is the request logic, shared by GET / and Server.Hello.
type hello struct {
	id     string
	body   []byte
	rounds int
	delay  time.Duration

	// Header values are built once and shared: net/http only reads them.
	contentType, contentLength, servedBy []string

	httpRequests atomic.Uint64
	rpcCalls     atomic.Uint64
	inFlight     atomic.Int64
}

func newHello(id string, payload, rounds int, delay time.Duration) *hello {
	body := []byte(seedBody)
	if payload > 0 {
		body = bytes.Repeat([]byte(seedBody+"\n"), payload/(len(seedBody)+1)+1)[:payload]
	}
	return &hello{
		id: id, body: body, rounds: rounds, delay: delay,
		contentType:   []string{"text/plain; charset=utf-8"},
		contentLength: []string{strconv.Itoa(len(body))},
		servedBy:      []string{id},
	}
}

// handle does the configured work and wait; ctx ends the wait early when the caller has gone.
func (h *hello) handle(ctx context.Context) {
	h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	if h.rounds > 0 {
		spin(h.rounds)
	}
	if h.delay > 0 {
		t := time.NewTimer(h.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

func (h *hello) serveHello(w http.ResponseWriter, r *http.Request) {
	if !serve.RejectBody(w, r) {
		return
	}
	h.handle(r.Context())
	// Counted before the body is written, so a client never holds a response the counter misses.
	h.httpRequests.Add(1)
	hdr := w.Header()
	hdr["Content-Type"] = h.contentType
	hdr["Content-Length"] = h.contentLength
	hdr["X-Served-By"] = h.servedBy
	w.Write(h.body)
}

// rpcHello answers Server.Hello. The body slice is shared and must not be modified by the codec.
func (h *hello) rpcHello() ([]byte, string) {
	h.handle(context.Background())
	h.rpcCalls.Add(1)
	return h.body, h.id
}

func (h *hello) mux(health *serve.Health, rpcConns func() int) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.serveHello)
	health.Register(mux)
	mux.Handle("GET /metrics", metrics.Handler(func(m metrics.Writer) {
		m.Counter("hello_http_requests_total", "GET / responses served.", h.httpRequests.Load())
		m.Counter("hello_rpc_calls_total", "Server.Hello calls answered.", h.rpcCalls.Load())
		m.Gauge("hello_rpc_connections", "Open net/rpc connections.", float64(rpcConns()))
		m.Gauge("hello_requests_in_flight", "HTTP requests and RPC calls being handled.", float64(h.inFlight.Load()))
		m.Gauge("hello_work_rounds", "Hash rounds per request (--work, calibrated at start-up).", float64(h.rounds))
		m.Gauge("hello_delay_seconds", "Simulated I/O wait per request (--delay).", h.delay.Seconds())
		m.Gauge("hello_payload_bytes", "Response body size.", float64(len(h.body)))
	}))
	return mux
}

// spin runs rounds of SHA-256 over a 32-byte block: CPU work that a CPU limit slows down.
func spin(rounds int) byte {
	var sum [32]byte
	for range rounds {
		sum = sha256.Sum256(sum[:])
	}
	return sum[0]
}

// calibrate returns how many rounds of spin take d on an idle CPU. It times short batches and keeps
// the fastest, the one least disturbed by other processes or a CPU quota.
func calibrate(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	const batch, trials = 500, 30
	best := time.Duration(1<<63 - 1)
	for range trials {
		start := time.Now()
		spin(batch)
		if el := time.Since(start); el < best {
			best = el
		}
	}
	best = max(best, time.Nanosecond)
	return max(1, int(float64(d)/float64(best)*batch))
}
