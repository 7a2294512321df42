package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"clusterbench.dev/images/internal/hellorpc"
)

// Redial backoff: a backend that comes back is used again within maxBackoff plus a dial.
const (
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = time.Second
	dialTimeout = time.Second
)

// conn is one live, multiplexed net/rpc connection to a backend.
type conn struct {
	client *hellorpc.Client
	died   chan struct{} // closed when the connection fails
	useful atomic.Bool   // it has answered a call; a redial after it dies needs no backoff
}

// kill closes the connection at once; its reader then fails every pending call and the slot
// redials. Used when a call times out: a backend that does not answer is treated as hung (and
// may not even read, so nothing here waits for a write).
func (c *conn) kill() { c.client.Abort() }

// backend is one hello server: a few connection slots, each kept connected by a goroutine.
type backend struct {
	addr  string
	slots []atomic.Pointer[conn]

	outstanding atomic.Int64  // calls sent and not yet answered, for least-outstanding picking
	live        atomic.Int32  // slots currently connected
	next        atomic.Uint32 // round robin over slots

	calls   [numResults]atomic.Uint64
	stop    context.CancelFunc
	stopped chan struct{}
}

// call results, for metrics
const (
	resultOK = iota
	resultError
	resultTimeout
	numResults
)

var resultNames = [numResults]string{"ok", "error", "timeout"}

func newBackend(addr string, conns int) *backend {
	ctx, cancel := context.WithCancel(context.Background())
	b := &backend{addr: addr, slots: make([]atomic.Pointer[conn], conns), stop: cancel, stopped: make(chan struct{})}
	var wg sync.WaitGroup
	for i := range b.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.maintain(ctx, &b.slots[i])
		}()
	}
	go func() {
		wg.Wait()
		close(b.stopped)
	}()
	return b
}

// maintain keeps one slot connected until ctx ends: dial, wait for the connection to die, redial
// with exponential backoff (reset by a connection that answered calls).
func (b *backend) maintain(ctx context.Context, slot *atomic.Pointer[conn]) {
	backoff := minBackoff
	for ctx.Err() == nil {
		c := &conn{died: make(chan struct{})}
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		// The codec reports a read failure once: the peer has gone, or kill closed the connection.
		client, err := hellorpc.Dial(dctx, b.addr, func(error) { close(c.died) })
		cancel()
		if err == nil {
			c.client = client
			slot.Store(c)
			b.live.Add(1)
			select {
			case <-c.died:
			case <-ctx.Done():
			}
			slot.Store(nil)
			b.live.Add(-1)
			client.Abort() // Close alone would first write what is buffered, to a peer that may not read
			client.Close()
			if c.useful.Load() {
				backoff = minBackoff
				continue
			}
		}
		// Jitter, so that the slots of many gateways do not redial in step.
		wait := backoff/2 + rand.N(backoff)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// conn returns a live connection, round robin over the slots, or nil.
func (b *backend) conn() *conn {
	n := uint32(len(b.slots))
	start := b.next.Add(1)
	for k := range n {
		if c := b.slots[(start+k)%n].Load(); c != nil {
			return c
		}
	}
	return nil
}

func (b *backend) usable() bool { return b.live.Load() > 0 }

// balancing policies
const (
	balancerP2C        = "p2c"
	balancerRoundRobin = "round-robin"
)

// pool is the set of backends and the balancing policy.
type pool struct {
	conns      int
	roundRobin bool
	rr         atomic.Uint32

	mu       sync.Mutex // serialises set
	backends atomic.Pointer[[]*backend]
}

func newPool(balancer string, conns int) *pool {
	p := &pool{conns: conns, roundRobin: balancer == balancerRoundRobin}
	p.backends.Store(&[]*backend{})
	return p
}

// set makes addrs the backends: it keeps the ones already known and stops the others, whose
// calls in flight fail and are retried elsewhere.
func (p *pool) set(addrs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.backends.Load()
	next := make([]*backend, 0, len(addrs))
	for _, a := range addrs {
		if i := slices.IndexFunc(old, func(b *backend) bool { return b.addr == a }); i >= 0 {
			next = append(next, old[i])
		} else {
			next = append(next, newBackend(a, p.conns))
		}
	}
	p.backends.Store(&next)
	for _, b := range old {
		if !slices.Contains(next, b) {
			b.stop()
		}
	}
}

// close stops every backend and waits for their connections to close.
func (p *pool) close() {
	p.mu.Lock()
	bs := *p.backends.Load()
	p.backends.Store(&[]*backend{})
	p.mu.Unlock()
	for _, b := range bs {
		b.stop()
	}
	for _, b := range bs {
		<-b.stopped
	}
}

// connected returns how many backends have at least one live connection.
func (p *pool) connected() int {
	n := 0
	for _, b := range *p.backends.Load() {
		if b.live.Load() > 0 {
			n++
		}
	}
	return n
}

// pick returns a usable backend other than exclude, or nil if there is none.
// p2c: of two backends drawn at random, the one with fewer calls outstanding (Envoy's
// LEAST_REQUEST, nginx's "random two least_conn"): as good as least-outstanding over all, without
// herding every gateway goroutine onto the same momentarily idle backend.
func (p *pool) pick(exclude *backend) *backend {
	bs := *p.backends.Load()
	n := len(bs)
	if n == 0 {
		return nil
	}
	ok := func(b *backend) bool { return b != exclude && b.usable() }
	if p.roundRobin {
		start := int(p.rr.Add(1))
		for k := range n {
			if b := bs[(start+k)%n]; ok(b) {
				return b
			}
		}
		return nil
	}
	i := rand.IntN(n)
	a := bs[i]
	if n > 1 {
		j := rand.IntN(n - 1)
		if j >= i {
			j++
		}
		b := bs[j]
		switch {
		case !ok(a):
			a = b
		case ok(b) && b.outstanding.Load() < a.outstanding.Load():
			a = b
		}
	}
	if ok(a) {
		return a
	}
	for k := range n { // both draws unusable: any usable one
		if b := bs[(i+k)%n]; ok(b) {
			return b
		}
	}
	return nil
}
