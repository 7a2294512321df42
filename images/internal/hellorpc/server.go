package hellorpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Handler answers one call; it is the hello server's request logic, shared by HTTP and RPC.
type Handler func() (text []byte, servedBy string)

// helloService is registered as "Server" for fast-codec clients: the reply carries the id.
type helloService struct{ server *Server }

func (s *helloService) Hello(_ *HelloArgs, reply *HelloReply) error {
	reply.Text, reply.ServedBy = s.server.handle()
	return nil
}

// seedService is registered as "Server" for gob clients, with the seed's exact signature
// (Hello(string, *string)), so the seed's own rpc.Dial or rpc.DialHTTP code works unchanged.
type seedService struct{ server *Server }

func (s *seedService) Hello(_ string, reply *string) error {
	text, _ := s.server.handle()
	*reply = string(text)
	return nil
}

// Server serves Server.Hello on a listener: the fast codec (clients that send Preface), gob, and
// gob behind the HTTP CONNECT handshake of rpc.DialHTTP.
type Server struct {
	handle Handler
	quick  bool
	fast   *rpc.Server
	gob    *rpc.Server

	inflight atomic.Int64 // requests read and not yet answered, over all connections

	mu      sync.Mutex
	conns   map[net.Conn]rpc.ServerCodec // codec is nil until the protocol is known
	closing bool
}

// NewServer returns a server whose calls run handle. quick says that handle never blocks and
// returns within microseconds: calls on a fast-codec connection are then answered one after
// another on the goroutine that reads them, which saves a hand-off per call; otherwise each call
// gets a goroutine of its own, so that slow calls run in parallel.
func NewServer(handle Handler, quick bool) *Server {
	s := &Server{handle: handle, quick: quick, fast: rpc.NewServer(), gob: rpc.NewServer(), conns: map[net.Conn]rpc.ServerCodec{}}
	// RegisterName only fails for types without suitable methods: a programming error.
	if err := s.fast.RegisterName("Server", &helloService{s}); err != nil {
		panic(err)
	}
	if err := s.gob.RegisterName("Server", &seedService{s}); err != nil {
		panic(err)
	}
	return s
}

// Serve accepts connections until l is closed; it returns nil after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	for {
		conn, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() { // e.g. out of file descriptors: wait, go on
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return err
		}
		if !s.track(conn, nil) {
			conn.Close()
			continue
		}
		go s.serveConn(conn)
	}
}

// Conns returns how many connections are open.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// track records conn (and its codec, once known); false once Shutdown has begun.
func (s *Server) track(conn net.Conn, codec rpc.ServerCodec) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[conn] = codec
	return true
}

const connectPath = "/_goRPC_" // rpc.DefaultRPCPath, what rpc.DialHTTP asks for

func (s *Server) serveConn(conn net.Conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	br := bufio.NewReaderSize(conn, 1024)
	// A client that connects and says nothing must not hold a goroutine forever.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	head, err := br.Peek(len(Preface))
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		return
	}
	var codec rpc.ServerCodec
	var pool *workerPool
	switch {
	case string(head) == Preface:
		br.Discard(len(Preface))
		fast := NewServerCodec(br, conn)
		if s.quick {
			fast.SingleCaller()
		}
		pool = &workerPool{ServerCodec: fast, single: s.quick}
		codec = pool
	case bytes.HasPrefix(head, []byte("CONNECT ")):
		if !acceptConnect(br, conn) {
			return
		}
		codec = newGobServerCodec(br, conn)
	default:
		codec = newGobServerCodec(br, conn)
	}
	codec = &countingCodec{ServerCodec: codec, inflight: &s.inflight}
	if !s.track(conn, codec) {
		return
	}
	if pool != nil {
		pool.serve(s.fast, codec)
	} else {
		s.gob.ServeCodec(codec)
	}
}

// workerPool serves a fast-codec connection with goroutines that each read one request and
// answer it, in turn. rpc.Server.ServeCodec starts a goroutine per call instead, which costs a
// goroutine start, its stack growth and often an OS thread wake-up per call. The pool grows
// whenever its last idle worker takes a request, so calls never wait for a worker; with single
// (quick calls) it stays at one worker.
type workerPool struct {
	*ServerCodec
	reading sync.Mutex // held from a request's header to its body: one reader at a time
	idle    atomic.Int32
	failed  atomic.Bool // reading failed: the connection is done
	single  bool
	wg      sync.WaitGroup
	start   func()
}

func (p *workerPool) serve(server *rpc.Server, codec rpc.ServerCodec) {
	p.start = func() {
		p.idle.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				server.ServeRequest(codec) // an error is either answered or a read failure
				if p.failed.Load() {
					return
				}
				p.idle.Add(1)
			}
		}()
	}
	p.start()
	p.wg.Wait()
	codec.Close()
}

func (p *workerPool) ReadRequestHeader(r *rpc.Request) error {
	p.reading.Lock()
	if err := p.ServerCodec.ReadRequestHeader(r); err != nil {
		p.failed.Store(true)
		p.reading.Unlock()
		return err
	}
	if p.idle.Add(-1) == 0 && !p.single {
		p.start()
	}
	return nil
}

// ReadRequestBody is called once after every successful ReadRequestHeader.
func (p *workerPool) ReadRequestBody(body any) error {
	defer p.reading.Unlock()
	return p.ServerCodec.ReadRequestBody(body)
}

// acceptConnect answers the HTTP CONNECT handshake of rpc.DialHTTP.
func acceptConnect(br *bufio.Reader, conn net.Conn) bool {
	line, err := br.ReadString('\n')
	if err != nil {
		return false
	}
	if !strings.Contains(line, " "+connectPath+" ") {
		io.WriteString(conn, "HTTP/1.0 404 Not Found\r\n\r\n")
		return false
	}
	for { // the rest of the request head, up to the empty line
		l, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if l == "\n" || l == "\r\n" {
			break
		}
	}
	_, err = io.WriteString(conn, "HTTP/1.0 200 Connected to Go RPC\n\n")
	return err == nil
}

// countingCodec counts requests read and not yet answered, so Shutdown can wait for them.
type countingCodec struct {
	rpc.ServerCodec
	inflight *atomic.Int64
}

func (c *countingCodec) ReadRequestHeader(r *rpc.Request) error {
	err := c.ServerCodec.ReadRequestHeader(r)
	if err == nil {
		c.inflight.Add(1)
	}
	return err
}

func (c *countingCodec) WriteResponse(r *rpc.Response, body any) error {
	defer c.inflight.Add(-1)
	return c.ServerCodec.WriteResponse(r, body)
}

// Shutdown stops accepting (the caller closes the listener), waits until every request read has
// been answered or ctx ends, then closes every connection after writing what is buffered. A client
// that sends a call in the last instant sees its connection close and retries elsewhere, as it
// does when a server dies.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
	for s.inflight.Load() > 0 && err == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	// Close all at once: a codec writes what it buffered first, for at most closeFlushTimeout.
	var wg sync.WaitGroup
	s.mu.Lock()
	for conn, codec := range s.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if codec != nil {
				codec.Close()
			}
			conn.Close()
		}()
	}
	s.mu.Unlock()
	wg.Wait()
	return err
}
