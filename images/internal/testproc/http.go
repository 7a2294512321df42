package testproc

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Main builds the main packages pkgs into a temporary folder, stores their paths in bins (in the
// same order), runs the tests and exits. Call it from TestMain.
func Main(m *testing.M, pkgs []string, bins ...*string) {
	dir, err := os.MkdirTemp("", "testproc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	paths, err := Build(dir, pkgs...)
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i, b := range bins {
		*b = paths[i]
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 20 * time.Second}

// Get fetches url and returns the response (body closed) and its body.
func Get(t testing.TB, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// Metric reads one sample, e.g. `x_total` or `x_total{code="200"}`, from base + "/metrics".
func Metric(t testing.TB, base, sample string) float64 {
	t.Helper()
	_, body := Get(t, base+"/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics:\n%s", sample, body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// RawStatus sends request as raw bytes to addr and returns the status code of the answer.
func RawStatus(t testing.TB, addr, request string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(conn, request) // may block on a huge request the server refuses to read
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// UsageCase is bad input a program must refuse with exit status 2 and one line naming WantName.
type UsageCase struct {
	Name     string
	Env      []string
	Args     []string
	WantName string
}

// ExpectUsageErrors runs bin with baseArgs plus each case's arguments and environment.
func ExpectUsageErrors(t *testing.T, bin string, baseArgs []string, cases []UsageCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			code, stderr := Run(bin, tc.Env, append(slices.Clone(baseArgs), tc.Args...)...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.WantName) {
				t.Errorf("stderr = %q, want one line naming %s", stderr, tc.WantName)
			}
		})
	}
}

// ExpectDraining waits until base + "/readyz" answers 503 on a new connection, as it must while
// a server drains with its listener still open (--drain-delay).
func ExpectDraining(t testing.TB, base string) {
	t.Helper()
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	WaitFor(t, func() bool {
		resp, err := fresh.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("/readyz while draining: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
}

// BadRequest is a malformed or oversized request and the status it must get.
type BadRequest struct {
	Name    string
	Request string
	Want    int
}

// BadRequests are what both servers must answer with 4xx, without crashing.
var BadRequests = []BadRequest{
	{"garbage request line", "HELLO THERE\r\n\r\n", 400},
	{"binary garbage", "\x00\x01\x02 nonsense\r\n\r\n", 400},
	{"bad header", "GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400},
	{"bad content length", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n", 400},
	{"huge header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n", 431},
	{"huge URL", "GET /?" + strings.Repeat("a", 1<<20) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431},
	{"huge body", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + strings.Repeat("a", 1<<20), 413},
	{"wrong method", "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405},
	{"unknown path", "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", 404},
	{"small body is fine", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 200},
}

// ExpectBadRequestsRejected sends every BadRequest to addr and checks the statuses, then that a
// plain GET / still answers 200.
func ExpectBadRequestsRejected(t *testing.T, addr string) {
	t.Helper()
	for _, tt := range BadRequests {
		t.Run(tt.Name, func(t *testing.T) {
			if got := RawStatus(t, addr, tt.Request); got != tt.Want {
				t.Errorf("status %d, want %d", got, tt.Want)
			}
		})
	}
	if resp, body := Get(t, "http://"+addr+"/"); resp.StatusCode != 200 || body != "Hello, World!" {
		t.Errorf("after bad requests: GET / = %d %q", resp.StatusCode, body)
	}
}

// Answer is what GET / returned.
type Answer struct {
	Status   int
	Body     string
	ServedBy string // X-Served-By
	Err      error
}

// OK reports a 200 with the seed's body.
func (a Answer) OK() bool { return a.Err == nil && a.Status == 200 && a.Body == "Hello, World!" }

// Hello sends GET base + "/"; safe to call from any goroutine.
func Hello(base string) Answer {
	resp, err := client.Get(base + "/")
	if err != nil {
		return Answer{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Answer{resp.StatusCode, string(b), resp.Header.Get("X-Served-By"), err}
}

// HelloAsync sends GET base + "/" in the background.
func HelloAsync(base string) <-chan Answer {
	c := make(chan Answer, 1)
	go func() { c <- Hello(base) }()
	return c
}

// HelloConcurrently sends clients × each GET / requests from clients goroutines, reports every
// failed one on t, and returns how many each X-Served-By answered.
func HelloConcurrently(t testing.TB, base string, clients, each int) map[string]int {
	var mu sync.Mutex
	served := map[string]int{}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				a := Hello(base)
				if !a.OK() {
					t.Errorf("GET / = %+v", a)
					return
				}
				mu.Lock()
				served[a.ServedBy]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return served
}
