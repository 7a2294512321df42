package main

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"clusterbench.dev/images/internal/testproc"
)

// fakeDNS stands in for a headless Service's DNS, which cannot run here: the test sets the
// addresses the name resolves to. The backends behind them are real hello servers.
type fakeDNS struct {
	mu  sync.Mutex
	ips []string
	err error
}

func (d *fakeDNS) set(err error, ips ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ips, d.err = ips, err
}

func (d *fakeDNS) lookup(_ context.Context, host string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.ips), d.err
}

// connectedAddrs lists the backends with a live connection.
func connectedAddrs(p *pool) []string {
	var addrs []string
	for _, b := range *p.backends.Load() {
		if b.live.Load() > 0 {
			addrs = append(addrs, b.addr)
		}
	}
	return addrs
}

func TestBackendsFollowReResolvedDNSFakeResolver(t *testing.T) {
	// Two hello servers on the same port of two loopback addresses, as pods of a headless Service.
	a := startHello(t, "hello-a", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(a.Addrs["rpc"])
	b := startHello(t, "hello-b", "127.0.0.2:"+port)
	addrA, addrB := a.Addrs["rpc"], b.Addrs["rpc"]

	dns := &fakeDNS{}
	dns.set(nil, "127.0.0.1")
	p := newPool(balancerP2C, 1)
	defer p.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go resolveLoop(ctx, p, dns.lookup, "hello-headless:"+port, 100*time.Millisecond, io.Discard)

	steps := []struct {
		name string
		err  error
		ips  []string
		want []string
	}{
		{"one pod", nil, []string{"127.0.0.1"}, []string{addrA}},
		{"scaled up", nil, []string{"127.0.0.2", "127.0.0.1"}, []string{addrA, addrB}},
		{"lookup fails: keep the last set", errors.New("no such host"), nil, []string{addrA, addrB}},
		{"first pod gone", nil, []string{"127.0.0.2"}, []string{addrB}},
	}
	for _, st := range steps {
		dns.set(st.err, st.ips...)
		testproc.WaitFor(t, func() bool { return slices.Equal(connectedAddrs(p), st.want) })
		if st.err != nil { // give the loop a few more lookups to (wrongly) drop the backends
			time.Sleep(300 * time.Millisecond)
			if got := connectedAddrs(p); !slices.Equal(got, st.want) {
				t.Errorf("%s: connected %v, want %v", st.name, got, st.want)
			}
		}
	}
	// The backend dropped from DNS has its connection closed, not just left unused.
	testproc.WaitFor(t, func() bool { return testproc.Metric(t, "http://"+a.Addrs["http"], "hello_rpc_connections") == 0 })
	if got := testproc.Metric(t, "http://"+b.Addrs["http"], "hello_rpc_connections"); got != 1 {
		t.Errorf("hello-b has %v RPC connections, want 1", got)
	}
}
