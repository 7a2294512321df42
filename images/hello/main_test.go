package main

import (
	"io"
	"net"
	"net/rpc"
	"strings"
	"syscall"
	"testing"
	"time"

	"clusterbench.dev/images/internal/hellorpc"
	"clusterbench.dev/images/internal/testproc"
)

var helloBin string

func TestMain(m *testing.M) {
	testproc.Main(m, []string{"clusterbench.dev/images/hello"}, &helloBin)
}

func startHello(t *testing.T, env []string, args ...string) *testproc.Proc {
	t.Helper()
	return testproc.Start(t, helloBin, env, append([]string{"--http", "127.0.0.1:0", "--rpc", "127.0.0.1:0"}, args...)...)
}

func TestHelloAnswersLikeTheSeed(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantID   string // "" means: the bound HTTP address
		wantBody string
	}{
		{name: "defaults", wantBody: "Hello, World!"},
		{name: "id flag", args: []string{"--id", "pod-a"}, wantID: "pod-a", wantBody: "Hello, World!"},
		{name: "POD_NAME", env: []string{"POD_NAME=pod-b"}, wantID: "pod-b", wantBody: "Hello, World!"},
		{name: "env var", env: []string{"HELLO_ID=from-env"}, wantID: "from-env", wantBody: "Hello, World!"},
		{name: "flag wins over env", env: []string{"HELLO_ID=from-env"}, args: []string{"--id", "from-flag"}, wantID: "from-flag", wantBody: "Hello, World!"},
		{name: "payload", args: []string{"--payload", "40"}, wantBody: "Hello, World!\nHello, World!\nHello, World!\n"[:40]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startHello(t, tt.env, tt.args...)
			resp, body := testproc.Get(t, "http://"+p.Addrs["http"]+"/")
			wantID := tt.wantID
			if wantID == "" {
				wantID = p.Addrs["http"]
			}
			if resp.StatusCode != 200 || body != tt.wantBody {
				t.Errorf("GET / = %d %q, want 200 %q", resp.StatusCode, body, tt.wantBody)
			}
			if got := resp.Header.Get("X-Served-By"); got != wantID {
				t.Errorf("X-Served-By = %q, want %q", got, wantID)
			}
			if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := p.Addrs["id"]; got != wantID {
				t.Errorf("listening line id = %q, want %q", got, wantID)
			}
		})
	}
}

func TestHealthEndpoints(t *testing.T) {
	p := startHello(t, nil)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, _ := testproc.Get(t, "http://"+p.Addrs["http"]+path); resp.StatusCode != 200 {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
}

// The load generator compares its request count with hello_http_requests_total: it must be exact,
// and count neither health checks nor errors.
func TestRequestCounterIsExact(t *testing.T) {
	p := startHello(t, nil)
	base := "http://" + p.Addrs["http"]
	const clients, each = 8, 50
	testproc.HelloConcurrently(t, base, clients, each)
	testproc.Get(t, base+"/healthz")
	testproc.Get(t, base+"/nope")
	if got := testproc.Metric(t, base, "hello_http_requests_total"); got != clients*each {
		t.Errorf("hello_http_requests_total = %v, want %d", got, clients*each)
	}
}

func TestRPC(t *testing.T) {
	p := startHello(t, nil, "--id", "rpc-1")
	addr := p.Addrs["rpc"]

	t.Run("fast codec carries the id", func(t *testing.T) {
		c, err := hellorpc.Dial(t.Context(), addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var reply hellorpc.HelloReply
		if err := c.Call(hellorpc.Method, hellorpc.HelloArgs{}, &reply); err != nil {
			t.Fatal(err)
		}
		if string(reply.Text) != "Hello, World!" || reply.ServedBy != "rpc-1" {
			t.Errorf("reply = %q from %q", reply.Text, reply.ServedBy)
		}
	})
	// The seed's own client code: gob, string argument and reply.
	seedDials := map[string]func(string, string) (*rpc.Client, error){"rpc.Dial": rpc.Dial, "rpc.DialHTTP": rpc.DialHTTP}
	for name, dial := range seedDials {
		t.Run("seed client "+name, func(t *testing.T) {
			c, err := dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var reply string
			if err := c.Call("Server.Hello", "", &reply); err != nil {
				t.Fatal(err)
			}
			if reply != "Hello, World!" {
				t.Errorf("reply = %q", reply)
			}
		})
	}
	if got := testproc.Metric(t, "http://"+p.Addrs["http"], "hello_rpc_calls_total"); got != 3 {
		t.Errorf("hello_rpc_calls_total = %v, want 3", got)
	}
}

func TestWorkAndDelayKnobs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		atLeast time.Duration
	}{
		// Calibration keeps the fastest batch, so the rounds take at least --work; half of it
		// leaves room for a CPU that speeds up after start-up.
		{"work", []string{"--work", "20ms"}, 10 * time.Millisecond},
		{"delay", []string{"--delay", "50ms"}, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startHello(t, nil, tt.args...)
			start := time.Now()
			resp, body := testproc.Get(t, "http://"+p.Addrs["http"]+"/")
			if el := time.Since(start); el < tt.atLeast {
				t.Errorf("GET / took %v, want >= %v", el, tt.atLeast)
			}
			if resp.StatusCode != 200 || body != "Hello, World!" {
				t.Errorf("GET / = %d %q", resp.StatusCode, body)
			}
		})
	}
	p := startHello(t, nil, "--work", "1ms")
	if rounds := testproc.Metric(t, "http://"+p.Addrs["http"], "hello_work_rounds"); rounds < 1 {
		t.Errorf("hello_work_rounds = %v with --work 1ms", rounds)
	}
}

func TestBadFlagsExit2WithOneLine(t *testing.T) {
	testproc.ExpectUsageErrors(t, helloBin, []string{"--http", "127.0.0.1:0", "--rpc", "127.0.0.1:0"}, []testproc.UsageCase{
		{Name: "unknown flag", Args: []string{"--bogus"}, WantName: "--bogus"},
		{Name: "bad duration", Args: []string{"--work", "fast"}, WantName: "--work"},
		{Name: "negative delay", Args: []string{"--delay", "-1s"}, WantName: "--delay"},
		{Name: "payload too big", Args: []string{"--payload", "99999999999"}, WantName: "--payload"},
		{Name: "negative payload", Args: []string{"--payload", "-5"}, WantName: "--payload"},
		{Name: "bad env", Env: []string{"HELLO_DELAY=soon"}, WantName: "HELLO_DELAY"},
		{Name: "http without port", Args: []string{"--http", "127.0.0.1"}, WantName: "--http"},
		{Name: "rpc bad port", Args: []string{"--rpc", "127.0.0.1:99999"}, WantName: "--rpc"},
		{Name: "extra argument", Args: []string{"now"}, WantName: "now"},
	})
	t.Run("address in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		code, stderr := testproc.Run(helloBin, nil, "--http", l.Addr().String(), "--rpc", "127.0.0.1:0")
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--http") {
			t.Errorf("exit %d, stderr %q; want 2 and one line naming --http", code, stderr)
		}
	})
}

func TestMalformedAndOversizedRequestsGet4xx(t *testing.T) {
	p := startHello(t, nil)
	addr := p.Addrs["http"]
	testproc.ExpectBadRequestsRejected(t, addr)
	// Garbage on the RPC port closes that connection only.
	conn, err := net.Dial("tcp", p.Addrs["rpc"])
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, hellorpc.Preface+"\xff\xff\xff\xffjunk")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("RPC connection with an oversized frame was not closed")
	}
	conn.Close()
	c, err := hellorpc.Dial(t.Context(), p.Addrs["rpc"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Call(hellorpc.Method, hellorpc.HelloArgs{}, &hellorpc.HelloReply{}); err != nil {
		t.Errorf("RPC after garbage: %v", err)
	}
}

func TestSIGTERMDrains(t *testing.T) {
	p := startHello(t, nil, "--delay", "2s", "--drain-delay", "700ms")
	base := "http://" + p.Addrs["http"]
	rpcClient, err := hellorpc.Dial(t.Context(), p.Addrs["rpc"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rpcClient.Close()

	httpDone := testproc.HelloAsync(base)
	var reply hellorpc.HelloReply
	rpcCall := rpcClient.Go(hellorpc.Method, hellorpc.HelloArgs{}, &reply, nil)
	testproc.WaitFor(t, func() bool { return testproc.Metric(t, base, "hello_requests_in_flight") == 2 })
	p.Signal(syscall.SIGTERM)
	testproc.ExpectDraining(t, base)
	if a := <-httpDone; !a.OK() {
		t.Errorf("in-flight HTTP request: %+v", a)
	}
	<-rpcCall.Done
	if rpcCall.Error != nil || string(reply.Text) != "Hello, World!" {
		t.Errorf("in-flight RPC call: %q %v", reply.Text, rpcCall.Error)
	}
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, p.Stderr())
	}
}
