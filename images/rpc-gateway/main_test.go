package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"clusterbench.dev/images/internal/testproc"
)

var helloBin, gatewayBin string

func TestMain(m *testing.M) {
	testproc.Main(m, []string{"clusterbench.dev/images/hello", "clusterbench.dev/images/rpc-gateway"}, &helloBin, &gatewayBin)
}

// startHellos starts n hello servers with ids hello-1..n and returns them and their RPC addresses.
func startHellos(t *testing.T, n int, args ...string) ([]*testproc.Proc, []string) {
	t.Helper()
	var procs []*testproc.Proc
	var addrs []string
	for i := range n {
		p := startHello(t, fmt.Sprintf("hello-%d", i+1), "127.0.0.1:0", args...)
		procs = append(procs, p)
		addrs = append(addrs, p.Addrs["rpc"])
	}
	return procs, addrs
}

func startHello(t *testing.T, id, rpcAddr string, args ...string) *testproc.Proc {
	t.Helper()
	return testproc.Start(t, helloBin, nil, append([]string{"--http", "127.0.0.1:0", "--rpc", rpcAddr, "--id", id}, args...)...)
}

// startGateway starts the gateway and waits until /readyz says ready (unless args make it never).
func startGateway(t *testing.T, waitReady bool, args ...string) (*testproc.Proc, string) {
	t.Helper()
	p := testproc.Start(t, gatewayBin, nil, append([]string{"--http", "127.0.0.1:0"}, args...)...)
	base := "http://" + p.Addrs["http"]
	if waitReady {
		testproc.WaitFor(t, func() bool { return status(t, base+"/readyz") == 200 })
	}
	return p, base
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, _ := testproc.Get(t, url)
	return resp.StatusCode
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestThreeBackendsEachServeAboutAThird(t *testing.T) {
	for _, balancer := range []string{"p2c", "round-robin"} {
		t.Run(balancer, func(t *testing.T) {
			_, addrs := startHellos(t, 3)
			_, base := startGateway(t, true, "--backends", strings.Join(addrs, ","), "--balancer", balancer)
			const clients, each = 8, 75
			served := testproc.HelloConcurrently(t, base, clients, each)
			for _, id := range []string{"hello-1", "hello-2", "hello-3"} {
				if share := float64(served[id]) / (clients * each); share < 0.2 || share > 0.47 {
					t.Errorf("%s served %.0f%% of the requests, want about a third (%v)", id, 100*share, served)
				}
			}
			if got := testproc.Metric(t, base, `rpc_gateway_http_responses_total{code="200"}`); got != clients*each {
				t.Errorf(`rpc_gateway_http_responses_total{code="200"} = %v, want %d`, got, clients*each)
			}
		})
	}
}

func TestKillingABackendFailsNoRequestAndItsReturnIsUsed(t *testing.T) {
	hellos, addrs := startHellos(t, 3)
	_, base := startGateway(t, true, "--backends", strings.Join(addrs, ","))

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if a := testproc.Hello(base); !a.OK() {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%+v", a))
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	hellos[1].Kill()
	time.Sleep(time.Second)

	// The backend returns on the same address; the gateway must use it again within 3 s.
	startHello(t, "hello-2-again", addrs[1])
	returned := time.Now()
	for {
		if a := testproc.Hello(base); a.OK() && a.ServedBy == "hello-2-again" {
			break
		}
		if time.Since(returned) > 3*time.Second {
			t.Errorf("returned backend not used within 3s")
			break
		}
	}
	t.Logf("backend used again %v after it returned", time.Since(returned).Round(time.Millisecond))
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed while a backend was killed; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	if ok.Load() < 100 {
		t.Errorf("only %d requests succeeded: the load did not run", ok.Load())
	}
}

func expect503Quickly(t *testing.T, base string) {
	t.Helper()
	start := time.Now()
	if got := status(t, base+"/"); got != 503 {
		t.Errorf("GET / = %d with no backend up, want 503", got)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("503 took %v, want < 3s", el)
	}
}

func TestAllBackendsDownGives503AndTheGatewayStaysUp(t *testing.T) {
	t.Run("never up", func(t *testing.T) {
		_, base := startGateway(t, false, "--backends", freeAddr(t)+","+freeAddr(t))
		expect503Quickly(t, base)
		if got := status(t, base+"/readyz"); got != 503 {
			t.Errorf("/readyz = %d, want 503", got)
		}
	})
	t.Run("all killed", func(t *testing.T) {
		hellos, addrs := startHellos(t, 3)
		gw, base := startGateway(t, true, "--backends", strings.Join(addrs, ","))
		if got := status(t, base+"/"); got != 200 {
			t.Fatalf("GET / = %d before the kill", got)
		}
		for _, h := range hellos {
			h.Kill()
		}
		for range 20 {
			expect503Quickly(t, base)
		}
		if got := status(t, base+"/healthz"); got != 200 {
			t.Errorf("/healthz = %d: the gateway should stay up", got)
		}
		select {
		case <-gw.Exited():
			t.Errorf("the gateway exited:\n%s", gw.Stderr())
		default:
		}
	})
}

// A fake backend: the only way to get a server that accepts connections and never answers.
func TestHungBackendFakeListenerGives504AfterTheCallTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	gw, base := startGateway(t, true, "--backends", l.Addr().String(), "--call-timeout", "300ms")
	start := time.Now()
	if got := status(t, base+"/"); got != 504 {
		t.Errorf("GET / = %d, want 504", got)
	}
	if el := time.Since(start); el < 300*time.Millisecond || el > 3*time.Second {
		t.Errorf("504 after %v, want after the 300ms call timeout and well under 3s", el)
	}
	// The timed-out connection is closed and redialed with backoff: meanwhile there is no usable
	// backend (503 at once), then the next call times out again (504). Never a hang.
	for range 5 {
		start := time.Now()
		if got := status(t, base+"/"); got != 503 && got != 504 {
			t.Errorf("GET / = %d, want 503 or 504", got)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("answer after %v, want well under 3s", el)
		}
	}
	if got := status(t, base+"/healthz"); got != 200 {
		t.Errorf("/healthz = %d\n%s", got, gw.Stderr())
	}
}

func TestBadFlagsExit2WithOneLine(t *testing.T) {
	testproc.ExpectUsageErrors(t, gatewayBin, []string{"--http", "127.0.0.1:0"}, []testproc.UsageCase{
		{Name: "no backends", WantName: "--backends"},
		{Name: "both backend flags", Args: []string{"--backends", "127.0.0.1:1", "--backends-dns", "x:1"}, WantName: "--backends-dns"},
		{Name: "backend without port", Args: []string{"--backends", "127.0.0.1"}, WantName: "--backends"},
		{Name: "backend port out of range", Args: []string{"--backends", "127.0.0.1:1,127.0.0.1:70000"}, WantName: "--backends"},
		{Name: "dns without port", Args: []string{"--backends-dns", "hello-headless"}, WantName: "--backends-dns"},
		{Name: "profile in a missing folder", Args: []string{"--backends", "127.0.0.1:1", "--cpu-profile", "/nonexistent/gw.prof"}, WantName: "--cpu-profile"},
		{Name: "unknown balancer", Args: []string{"--backends", "127.0.0.1:1", "--balancer", "random"}, WantName: "--balancer"},
		{Name: "zero conns", Args: []string{"--backends", "127.0.0.1:1", "--conns-per-backend", "0"}, WantName: "--conns-per-backend"},
		{Name: "bad timeout", Args: []string{"--backends", "127.0.0.1:1", "--call-timeout", "soon"}, WantName: "--call-timeout"},
		{Name: "negative timeout", Args: []string{"--backends", "127.0.0.1:1", "--call-timeout", "-1s"}, WantName: "--call-timeout"},
		{Name: "unknown flag", Args: []string{"--backends", "127.0.0.1:1", "--fast"}, WantName: "--fast"},
		{Name: "bad env", Env: []string{"RPC_GATEWAY_RETRY=maybe"}, Args: []string{"--backends", "127.0.0.1:1"}, WantName: "RPC_GATEWAY_RETRY"},
		{Name: "bad listen address", Args: []string{"--backends", "127.0.0.1:1", "--http", "nowhere"}, WantName: "--http"},
	})
}

func TestMalformedAndOversizedRequestsGet4xx(t *testing.T) {
	_, addrs := startHellos(t, 1)
	gw, _ := startGateway(t, true, "--backends", addrs[0])
	testproc.ExpectBadRequestsRejected(t, gw.Addrs["http"])
}

// The front end is fasthttp, not net/http: what a client sees beyond the status codes.
func TestHTTPEdgeHeadersHEADAndPipelining(t *testing.T) {
	_, addrs := startHellos(t, 1)
	gw, base := startGateway(t, true, "--backends", addrs[0])
	for _, tc := range []struct{ method, path, wantAllow string }{
		{"POST", "/", "GET, HEAD"},
		{"PUT", "/healthz", "GET, HEAD"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tc.wantAllow {
			t.Errorf("%s %s = %d, Allow %q; want 405, Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), tc.wantAllow)
		}
	}
	resp, err := http.Head(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != int64(len("Hello, World!")) || resp.Header.Get("X-Served-By") != "hello-1" {
		t.Errorf("HEAD / = %d, length %d, X-Served-By %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("X-Served-By"))
	}
	// Two pipelined requests on one connection: two answers, in order, and the connection closes
	// after the second, which asks for it.
	conn, err := net.Dial("tcp", gw.Addrs["http"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(conn)
	for _, want := range []int{200, 404} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the answer that should be %d: %v", want, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("pipelined answer %d, want %d", resp.StatusCode, want)
		}
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after Connection: close, read %d bytes, %v; want EOF", n, err)
	}
}

func TestSIGTERMDrains(t *testing.T) {
	_, addrs := startHellos(t, 2, "--delay", "2s")
	gw, base := startGateway(t, true, "--backends", strings.Join(addrs, ","), "--drain-delay", "700ms", "--call-timeout", "5s")
	done := testproc.HelloAsync(base)
	// Signal once the call is at a backend.
	testproc.WaitFor(t, func() bool {
		return testproc.Metric(t, base, `rpc_gateway_backend_outstanding_calls{backend="`+addrs[0]+`"}`)+
			testproc.Metric(t, base, `rpc_gateway_backend_outstanding_calls{backend="`+addrs[1]+`"}`) == 1
	})
	gw.Signal(syscall.SIGTERM)
	testproc.ExpectDraining(t, base)
	if a := <-done; !a.OK() {
		t.Errorf("in-flight request: %+v", a)
	}
	if code := gw.Wait(10 * time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, gw.Stderr())
	}
}

func TestCPUProfileIsWrittenOnSIGTERM(t *testing.T) {
	_, addrs := startHellos(t, 1)
	path := filepath.Join(t.TempDir(), "gw.prof")
	gw, base := startGateway(t, true, "--backends", addrs[0], "--cpu-profile", path)
	testproc.HelloConcurrently(t, base, 4, 50)
	gw.Signal(syscall.SIGTERM)
	if code := gw.Wait(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0\n%s", code, gw.Stderr())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f) // a pprof profile is a gzipped protocol buffer
	if err != nil {
		t.Fatalf("profile: %v", err)
	}
	if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
		t.Errorf("profile: %d bytes, %v", n, err)
	}
}

func TestBackendsFromDNS(t *testing.T) {
	hellos, _ := startHellos(t, 1)
	_, port, _ := net.SplitHostPort(hellos[0].Addrs["rpc"])
	// localhost may resolve to ::1 too, where nothing listens: that backend stays down.
	_, base := startGateway(t, true, "--backends-dns", "localhost:"+port, "--resolve-interval", "200ms")
	if a := testproc.Hello(base); !a.OK() || a.ServedBy != "hello-1" {
		t.Errorf("GET / = %+v", a)
	}
}

// TestEveryAnsweredCallIsDeliveredUnderCPUStarvation is the watchdog for the stall of a real
// cluster run (README, make e2e): requests in flight that the hello servers counted but that no
// client ever got an answer to. Gateway and hellos run on one thread each (GOMAXPROCS=1, as under
// a CPU limit) while this process keeps two goroutines spinning; 64 keep-alive clients run a
// closed loop for 3 s. Every request must end (200, or a 5xx the gateway counts) within the call
// timeout plus slack, never hang; and the ledger must close: each call a server counted was either
// answered 200 to a client or given up by the gateway (a timeout or a failed connection it counts).
func TestEveryAnsweredCallIsDeliveredUnderCPUStarvation(t *testing.T) {
	oneThread := []string{"GOMAXPROCS=1"}
	var hellos []string
	var addrs []string
	for i := range 3 {
		p := testproc.Start(t, helloBin, oneThread, "--http", "127.0.0.1:0", "--rpc", "127.0.0.1:0", "--id", fmt.Sprintf("hello-%d", i+1))
		hellos = append(hellos, "http://"+p.Addrs["http"])
		addrs = append(addrs, p.Addrs["rpc"])
	}
	const callTimeout = 3 * time.Second
	gw := testproc.Start(t, gatewayBin, oneThread, "--http", "127.0.0.1:0", "--backends", strings.Join(addrs, ","), "--call-timeout", callTimeout.String())
	base := "http://" + gw.Addrs["http"]
	testproc.WaitFor(t, func() bool { return testproc.Metric(t, base, "rpc_gateway_backends_connected") == 3 })
	served := func() (n float64) {
		for _, h := range hellos {
			n += testproc.Metric(t, h, "hello_rpc_calls_total")
		}
		return n
	}
	before := served()

	stop := make(chan struct{})
	var spinners sync.WaitGroup
	for range 2 {
		spinners.Add(1)
		go func() {
			defer spinners.Done()
			for {
				select {
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		}()
	}
	var ok, failed, hung atomic.Int64
	var firstHang atomic.Value
	deadline := time.Now().Add(3 * time.Second)
	var clients sync.WaitGroup
	for range 64 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			c, err := net.Dial("tcp", gw.Addrs["http"])
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for time.Now().Before(deadline) {
				sent := time.Now()
				c.SetDeadline(sent.Add(callTimeout + 2*time.Second))
				resp, err := sendGet(c, br)
				switch {
				case err != nil:
					hung.Add(1)
					firstHang.CompareAndSwap(nil, fmt.Sprintf("no answer %v after the send: %v", time.Since(sent).Round(time.Millisecond), err))
					return
				case resp.StatusCode == 200:
					ok.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	clients.Wait()
	close(stop)
	spinners.Wait()

	calls := served() - before
	var lost float64 // calls the gateway itself gave up: timed out, or its connection failed
	for _, a := range addrs {
		for _, result := range []string{"timeout", "error"} {
			lost += testproc.Metric(t, base, fmt.Sprintf(`rpc_gateway_backend_calls_total{backend=%q,result=%q}`, a, result))
		}
	}
	t.Logf("%d answered 200, %d 5xx, %d hung; servers counted %.0f calls; the gateway gave up %.0f", ok.Load(), failed.Load(), hung.Load(), calls, lost)
	if hung.Load() > 0 {
		t.Errorf("%d requests never answered; first: %v", hung.Load(), firstHang.Load())
	}
	if ok.Load() < 100 {
		t.Errorf("only %d requests answered 200: the load did not run", ok.Load())
	}
	if undelivered := calls - float64(ok.Load()); undelivered < 0 || undelivered > lost {
		t.Errorf("servers counted %.0f calls, clients got %d answers: %.0f answered calls undelivered, the gateway accounts for %.0f", calls, ok.Load(), undelivered, lost)
	}
	if failed.Load() > 0 {
		t.Errorf("%d requests answered 5xx with three healthy backends", failed.Load())
	}
}

// sendGet sends GET / on a keep-alive connection and reads the whole response.
func sendGet(c net.Conn, br *bufio.Reader) (*http.Response, error) {
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: gateway\r\n\r\n"); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}
