package hellorpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/rpc"
	"sync"
	"testing"
	"time"
)

// serve starts a Server on a loopback port and returns its address; it is shut down at cleanup.
func serve(t *testing.T, handle Handler, quick bool) (string, *Server) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(handle, quick)
	go s.Serve(l)
	t.Cleanup(func() {
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return l.Addr().String(), s
}

func TestConcurrentCallsCarryBodiesOfEverySize(t *testing.T) {
	for _, tc := range []struct {
		size  int
		quick bool
	}{{0, true}, {13, true}, {13, false}, {readBufferSize + 1, true}, {300 << 10, false}, {300 << 10, true}} {
		size, body := tc.size, bytes.Repeat([]byte("x"), tc.size)
		addr, _ := serve(t, func() ([]byte, string) { return body, "backend-1" }, tc.quick)
		c, err := Dial(t.Context(), addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					var reply HelloReply
					if err := c.Call(Method, HelloArgs{}, &reply); err != nil {
						t.Errorf("size %d: %v", size, err)
						return
					}
					if !bytes.Equal(reply.Text, body) || reply.ServedBy != "backend-1" {
						t.Errorf("size %d: got %d bytes from %q", size, len(reply.Text), reply.ServedBy)
						return
					}
				}
			}()
		}
		wg.Wait()
		c.Close()
	}
}

// writeCounter counts the writes to it.
type writeCounter struct {
	mu     sync.Mutex
	writes int
	bytes  int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	w.bytes += len(p)
	return len(p), nil
}

func (w *writeCounter) Close() error { return nil }

func (w *writeCounter) counts() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes, w.bytes
}

func TestSingleCallerAnswersABatchInOneWriteBeforeItBlocks(t *testing.T) {
	const batch = 10
	var frames []byte
	for seq := range uint64(batch) {
		payload := appendHead(nil, seq, Method)
		frames = binary.BigEndian.AppendUint32(frames, uint32(len(payload)))
		frames = append(frames, payload...)
	}
	pr, pw := io.Pipe()
	out := &writeCounter{}
	codec := NewServerCodec(pr, out)
	codec.SingleCaller()
	go pw.Write(frames) // one write: the codec's reader takes the whole batch at once
	var req rpc.Request
	for range batch {
		if err := codec.ReadRequestHeader(&req); err != nil {
			t.Fatal(err)
		}
		if err := codec.ReadRequestBody(nil); err != nil {
			t.Fatal(err)
		}
		if err := codec.WriteResponse(&rpc.Response{Seq: req.Seq}, &HelloReply{Text: []byte("hi")}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // time enough for a writer goroutine, had one been woken
	if n, _ := out.counts(); n != 0 {
		t.Fatalf("%d writes before the buffered requests ran out, want none", n)
	}
	read := make(chan error, 1)
	go func() { read <- codec.ReadRequestHeader(&req) }() // nothing left: flush, then block
	testWait(t, func() bool { n, _ := out.counts(); return n > 0 })
	if n, size := out.counts(); n != 1 || size < batch*(4+2+2) {
		t.Errorf("%d writes of %d bytes in all, want the %d answers in 1 write", n, size, batch)
	}
	pw.Close()
	if err := <-read; err == nil {
		t.Error("reading past the end of the stream succeeded")
	}
	codec.Close()
}

// testWait waits up to 5 s for cond.
func testWait(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

func TestUnknownMethodIsAServerError(t *testing.T) {
	addr, _ := serve(t, func() ([]byte, string) { return nil, "" }, true)
	c, err := Dial(t.Context(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Call("Server.Nope", HelloArgs{}, &HelloReply{})
	var se rpc.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want an rpc.ServerError", err)
	}
	// The connection stays usable after an error answer.
	if err := c.Call(Method, HelloArgs{}, &HelloReply{}); err != nil {
		t.Errorf("call after the error: %v", err)
	}
}

func TestShutdownAnswersCallsInFlightThenClosesAndTheClientHears(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	addr, s := serve(t, func() ([]byte, string) {
		started <- struct{}{}
		<-release
		return []byte("late"), "b"
	}, false)
	readErr := make(chan error, 1)
	c, err := Dial(t.Context(), addr, func(err error) { readErr <- err })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var reply HelloReply
	call := c.Go(Method, HelloArgs{}, &reply, nil)
	<-started
	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- s.Shutdown(context.Background()) }()
	select {
	case <-shutdownDone:
		t.Fatal("Shutdown returned while a call was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-call.Done
	if call.Error != nil || string(reply.Text) != "late" {
		t.Errorf("call in flight during Shutdown: %q, %v", reply.Text, call.Error)
	}
	if err := <-shutdownDone; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case <-readErr:
	case <-time.After(5 * time.Second):
		t.Error("the client's onReadError was not called after the server closed")
	}
	if err := c.Call(Method, HelloArgs{}, &HelloReply{}); err == nil {
		t.Error("a call on the closed connection succeeded")
	}
}

func TestMalformedReplyIsRejected(t *testing.T) {
	var r HelloReply
	for _, p := range [][]byte{nil, {0x80}, {5, 'a'}} {
		if err := r.UnmarshalBinary(p); err == nil {
			t.Errorf("UnmarshalBinary(%q) = nil, want an error", p)
		}
	}
}

// The worker pool must not serialise calls on one connection: a slow handler (--delay) would
// then limit a backend to one call at a time per gateway connection.
func TestSlowCallsOnOneConnectionRunInParallel(t *testing.T) {
	const calls, each = 20, 300 * time.Millisecond
	addr, _ := serve(t, func() ([]byte, string) {
		time.Sleep(each)
		return []byte("slow"), "b"
	}, false)
	c, err := Dial(t.Context(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	var pending []*rpc.Call
	for range calls {
		pending = append(pending, c.Go(Method, HelloArgs{}, &HelloReply{}, nil))
	}
	for _, call := range pending {
		if <-call.Done; call.Error != nil {
			t.Fatal(call.Error)
		}
	}
	// In sequence they would take calls*each = 6s.
	if el := time.Since(start); el > calls*each/3 {
		t.Errorf("%d calls of %v took %v: not run in parallel", calls, each, el)
	}
}

// bigArgs is a request body large enough to fill the socket buffers of a peer that does not read.
type bigArgs struct{}

func (bigArgs) AppendBinary(b []byte) ([]byte, error) { return append(b, make([]byte, 12<<20)...), nil }

// A fake peer: the only way to get one that accepts a connection and never reads from it.
func TestAbortDoesNotWaitForAPeerThatDoesNotReadFakeListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	c, err := Dial(t.Context(), l.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	defer peer.Close()
	call := c.Go(Method, bigArgs{}, &HelloReply{}, nil)
	time.Sleep(100 * time.Millisecond) // the writer is now blocked in Write
	aborted := make(chan struct{})
	go func() {
		c.Abort()
		close(aborted)
	}()
	select {
	case <-aborted:
	case <-time.After(2 * time.Second):
		t.Fatal("Abort blocked")
	}
	select {
	case <-call.Done:
		if call.Error == nil {
			t.Error("the call succeeded on an aborted connection")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pending call did not fail after Abort")
	}
	c.Close()
}

// A peer that stops reading must not make the writer buffer without bound.
func TestPendingFramesAreBoundedFakePeerThatDoesNotRead(t *testing.T) {
	client, server := net.Pipe() // nobody reads server: every Write on client blocks
	defer server.Close()
	w := newFrameWriter(client)
	frame := make([]byte, 64<<10)
	blocked := make(chan int)
	go func() {
		for n := 0; n < 3*maxPending/len(frame); n++ { // a bound, should the test fail
			b, err := w.begin()
			if err != nil {
				blocked <- n
				return
			}
			start := len(b) - 4
			w.end(append(b, frame...), start, nil)
		}
		blocked <- -1
	}()
	select {
	case n := <-blocked:
		t.Fatalf("the appender never waited (%d)", n)
	case <-time.After(500 * time.Millisecond): // the appender is now waiting for the writer
	}
	w.mu.Lock()
	pending := len(w.pending)
	w.mu.Unlock()
	if pending > maxPending+len(frame)+4 {
		t.Errorf("%d bytes pending, want at most about %d", pending, maxPending)
	}
	go w.close() // gives up on the peer after closeFlushTimeout at the latest
	select {
	case <-blocked:
	case <-time.After(closeFlushTimeout + 5*time.Second):
		t.Fatal("the waiting writer was not released by close")
	}
}
