package hellorpc

import (
	"bufio"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"runtime"
	"sync"
	"time"
)

// The wire format of the fast codec, after the 8-byte Preface that the client sends once:
// every message is one frame, a 4-byte big-endian payload length and the payload.
//
//	request payload:  uvarint seq, uvarint len, service method, body
//	response payload: uvarint seq, uvarint len, error text, body (absent when error is set)
//
// Bodies encode themselves (AppendBinary/UnmarshalBinary), so encoding needs no reflection and no type
// information; gob sends its type descriptions once per connection and reflects on every value.

// Preface is what a fast-codec client sends first, so that one port can serve it and gob clients.
const Preface = "CBRPC/1\n"

// MaxFrame bounds one frame, so a corrupt or hostile length cannot make a peer allocate gigabytes.
const MaxFrame = 16 << 20

const readBufferSize = 64 << 10

// maxPending bounds the frames a connection buffers for a peer that reads slower than it is sent
// to: past it, writers wait, and TCP's flow control pushes back on whoever sends the requests.
const maxPending = 4 << 20

// Appender is a body the fast codec can send (like encoding.BinaryAppender); to receive one it
// needs an encoding.BinaryUnmarshaler.
type Appender interface {
	AppendBinary(b []byte) ([]byte, error)
}

var errFrameTooLarge = errors.New("hellorpc: frame larger than MaxFrame")

// frameWriter batches frames: callers append under a short lock and return, and one goroutine per
// connection writes whatever has accumulated in one syscall. net/rpc holds its send mutex while a
// codec writes, so a codec that wrote (and flushed) itself would serialise every caller behind a
// syscall; with the writer goroutine, concurrent calls on one connection share syscalls instead.
type frameWriter struct {
	conn io.WriteCloser

	mu      sync.Mutex
	pending []byte // frames not yet handed to the writer goroutine
	spare   []byte // the buffer the writer goroutine returns, reused for pending
	err     error  // first write error; every later write fails with it
	closed  bool
	drained sync.Cond // signalled when pending is taken, or on error

	callerFlushes bool // set before use: the one caller calls flush; end does not wake the writer

	wake chan struct{} // capacity 1: "pending is not empty"
	done chan struct{} // closed when the writer goroutine has exited
}

func newFrameWriter(conn io.WriteCloser) *frameWriter {
	w := &frameWriter{conn: conn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.drained.L = &w.mu
	go w.loop()
	return w
}

// begin locks the writer and returns the pending buffer with room for a frame header. The caller
// appends the payload and hands the buffer to end, which always unlocks.
func (w *frameWriter) begin() ([]byte, error) {
	w.mu.Lock()
	for len(w.pending) >= maxPending && w.err == nil {
		w.drained.Wait()
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return nil, err
	}
	return append(w.pending, 0, 0, 0, 0), nil
}

func (w *frameWriter) end(b []byte, start int, encodeErr error) error {
	n := len(b) - start - 4
	if encodeErr == nil && n > MaxFrame {
		encodeErr = errFrameTooLarge
	}
	if encodeErr != nil {
		w.pending = b[:start] // drop the partial frame; the connection stays usable
		w.mu.Unlock()
		return encodeErr
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	w.pending = b
	w.mu.Unlock()
	if w.callerFlushes {
		return nil
	}
	select {
	case w.wake <- struct{}{}:
	default: // the writer goroutine is already due to run and will take this frame too
	}
	return nil
}

func (w *frameWriter) loop() {
	defer close(w.done)
	for range w.wake {
		// Let the goroutines that are ready to run (other callers, on a busy server) append
		// their frames first: measured on loopback, this turned ~1 frame per write into ~4.
		runtime.Gosched()
		out, closed, err := w.take()
		if err != nil || w.write(out) != nil || closed {
			return
		}
	}
}

// take hands the pending frames to whoever writes them next (with write); closed says that close
// has been called. After a failed write it takes nothing and returns the error.
func (w *frameWriter) take() (out []byte, closed bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil && !w.closed {
		return nil, false, w.err
	}
	out = w.pending
	w.pending = w.spare[:0]
	w.spare = nil
	w.drained.Broadcast()
	return out, w.closed, nil
}

// write writes frames that take returned and keeps their buffer for reuse. A failed write fails
// every later one and closes the connection, so the reader fails too, and with it every pending call.
func (w *frameWriter) write(out []byte) error {
	if len(out) > 0 {
		if _, err := w.conn.Write(out); err != nil {
			w.mu.Lock()
			w.err = err
			w.drained.Broadcast()
			w.mu.Unlock()
			w.conn.Close()
			return err
		}
	}
	w.mu.Lock()
	if cap(out) <= 4*readBufferSize { // unless a huge frame grew it
		w.spare = out[:0]
	}
	w.mu.Unlock()
	return nil
}

// flush writes what is pending on the calling goroutine, instead of handing it to the writer
// goroutine. For a connection whose one goroutine reads, calls and answers in turn: it flushes
// before it blocks reading, so a batch of answers costs one write and no goroutine wake-up.
func (w *frameWriter) flush() error {
	out, _, err := w.take()
	if err != nil {
		return err
	}
	return w.write(out)
}

// closeFlushTimeout bounds how long close waits for pending frames to reach a peer.
const closeFlushTimeout = 5 * time.Second

// close stops the writer after it has written what is pending, then closes the connection.
func (w *frameWriter) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	if w.err == nil {
		w.err = net.ErrClosed
	}
	w.drained.Broadcast()
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	select {
	case <-w.done:
	case <-time.After(closeFlushTimeout): // the peer does not read: give up what is buffered
		w.conn.Close() // which ends the writer's blocked Write
		<-w.done
	}
	if err := w.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// abort closes the connection at once, dropping frames not yet written. Unlike close it never
// waits, not even for a peer that has stopped reading.
func (w *frameWriter) abort() { w.conn.Close() }

// frameReader reads frames through a buffer, so that a batch of frames costs one syscall.
type frameReader struct {
	r    *bufio.Reader
	skip int    // bytes of the current frame still in r
	big  []byte // backing store for frames larger than the read buffer
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, readBufferSize)}
}

// next returns the payload of the next frame. It stays valid until the following call.
func (fr *frameReader) next() ([]byte, error) {
	if fr.skip > 0 {
		if _, err := fr.r.Discard(fr.skip); err != nil {
			return nil, err
		}
		fr.skip = 0
	}
	head, err := fr.r.Peek(4)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(head))
	if n > MaxFrame {
		return nil, errFrameTooLarge
	}
	fr.r.Discard(4) // cannot fail: Peek returned the bytes
	if n <= fr.r.Size() {
		// Zero-copy: the payload stays in the read buffer until the next call discards it.
		payload, err := fr.r.Peek(n)
		if err != nil {
			return nil, noEOF(err)
		}
		fr.skip = n
		return payload, nil
	}
	if cap(fr.big) < n {
		fr.big = make([]byte, n)
	}
	payload := fr.big[:n]
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		return nil, noEOF(err)
	}
	return payload, nil
}

// buffered reports whether a whole frame is already in the buffer, so next will not block.
func (fr *frameReader) buffered() bool {
	n := fr.r.Buffered() - fr.skip
	if n < 4 {
		return false
	}
	head, _ := fr.r.Peek(fr.skip + 4) // buffered: cannot fail or block
	return n-4 >= int(binary.BigEndian.Uint32(head[fr.skip:]))
}

// noEOF turns an EOF inside a frame into ErrUnexpectedEOF: only a clean end between frames is EOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

var errMalformed = errors.New("hellorpc: malformed frame")

// readHead splits a payload into seq, a string field, and the rest.
func readHead(p []byte) (seq uint64, field []byte, rest []byte, err error) {
	seq, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, nil, nil, errMalformed
	}
	p = p[n:]
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return 0, nil, nil, errMalformed
	}
	p = p[n:]
	return seq, p[:l], p[l:], nil
}

func appendHead(b []byte, seq uint64, field string) []byte {
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendUvarint(b, uint64(len(field)))
	return append(b, field...)
}

func encodeBody(b []byte, body any) ([]byte, error) {
	m, ok := body.(Appender)
	if !ok {
		return b, fmt.Errorf("hellorpc: cannot send %T: no AppendBinary method", body)
	}
	return m.AppendBinary(b)
}

func decodeBody(p []byte, body any) error {
	if body == nil { // net/rpc asks to discard the body
		return nil
	}
	m, ok := body.(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("hellorpc: cannot receive %T: no UnmarshalBinary method", body)
	}
	return m.UnmarshalBinary(p)
}

// ClientCodec is the fast rpc.ClientCodec. Create it with NewClientCodec.
type ClientCodec struct {
	w    *frameWriter
	r    *frameReader
	body []byte // body of the response whose header was just read
	// OnReadError, if set before the codec is used, is called once when reading fails, i.e. when
	// the connection is gone: it lets a pool redial at once instead of on the next call.
	onReadError func(error)
	reported    sync.Once
}

// NewClientCodec sends the Preface on conn and returns a codec over it. onReadError, if not nil,
// is called once when the connection fails for reading (peer gone, closed, corrupt frame).
func NewClientCodec(conn io.ReadWriteCloser, onReadError func(error)) (*ClientCodec, error) {
	if _, err := io.WriteString(conn, Preface); err != nil {
		return nil, err
	}
	return &ClientCodec{w: newFrameWriter(conn), r: newFrameReader(conn), onReadError: onReadError}, nil
}

func (c *ClientCodec) WriteRequest(req *rpc.Request, body any) error {
	b, err := c.w.begin()
	if err != nil {
		return err
	}
	start := len(b) - 4
	b = appendHead(b, req.Seq, req.ServiceMethod)
	b, err = encodeBody(b, body)
	return c.w.end(b, start, err)
}

func (c *ClientCodec) ReadResponseHeader(resp *rpc.Response) error {
	p, err := c.r.next()
	if err == nil {
		var errText []byte
		resp.Seq, errText, c.body, err = readHead(p)
		if len(errText) > 0 {
			resp.Error = string(errText)
		}
	}
	if err != nil && c.onReadError != nil {
		c.reported.Do(func() { c.onReadError(err) })
	}
	return err
}

func (c *ClientCodec) ReadResponseBody(body any) error {
	p := c.body
	c.body = nil
	return decodeBody(p, body)
}

func (c *ClientCodec) Close() error { return c.w.close() }

// ServerCodec is the fast rpc.ServerCodec, for a connection whose Preface has been read.
type ServerCodec struct {
	w      *frameWriter
	r      *frameReader
	body   []byte
	method string // the last service method, reused while requests repeat it
	single bool   // see SingleCaller
}

// SingleCaller, called before the codec is used, says that one goroutine reads every request,
// answers it and only then reads the next. The codec then writes the answers itself, all at once
// when no whole request is left in the read buffer, instead of waking its writer goroutine: the
// answers to a batch of requests leave in one write, with no goroutine hand-off.
func (c *ServerCodec) SingleCaller() {
	c.single = true
	c.w.callerFlushes = true
}

// flushLimit is how much a single caller's answers may pile up before it writes them anyway.
const flushLimit = 4 * readBufferSize

// NewServerCodec returns a codec reading from r (positioned after the Preface) and writing to conn.
func NewServerCodec(r io.Reader, conn io.WriteCloser) *ServerCodec {
	return &ServerCodec{w: newFrameWriter(conn), r: newFrameReader(r)}
}

func (c *ServerCodec) ReadRequestHeader(req *rpc.Request) error {
	if c.single && !c.r.buffered() {
		if err := c.w.flush(); err != nil {
			return err
		}
	}
	p, err := c.r.next()
	if err != nil {
		return err
	}
	var method []byte
	req.Seq, method, c.body, err = readHead(p)
	if err != nil {
		return err
	}
	if string(method) != c.method { // no allocation when the method repeats
		c.method = string(method)
	}
	req.ServiceMethod = c.method
	return nil
}

func (c *ServerCodec) ReadRequestBody(body any) error {
	p := c.body
	c.body = nil
	return decodeBody(p, body)
}

func (c *ServerCodec) WriteResponse(resp *rpc.Response, body any) error {
	b, err := c.w.begin()
	if err != nil {
		return err
	}
	start := len(b) - 4
	b = appendHead(b, resp.Seq, resp.Error)
	if resp.Error == "" {
		b, err = encodeBody(b, body)
	}
	large := c.single && len(b) >= flushLimit
	if err := c.w.end(b, start, err); err != nil || !large {
		return err
	}
	return c.w.flush()
}

func (c *ServerCodec) Close() error { return c.w.close() }
