package hellorpc

import (
	"bufio"
	"encoding/gob"
	"io"
	"net/rpc"
	"sync"
)

// gobServerCodec is net/rpc's own gob codec (unexported there), rebuilt so that Server can read
// through the buffered reader that sniffed the protocol and can count and close its connections.
type gobServerCodec struct {
	closer io.Closer
	dec    *gob.Decoder
	enc    *gob.Encoder
	buf    *bufio.Writer
	once   sync.Once
}

func newGobServerCodec(r io.Reader, conn io.WriteCloser) *gobServerCodec {
	buf := bufio.NewWriter(conn)
	return &gobServerCodec{closer: conn, dec: gob.NewDecoder(r), enc: gob.NewEncoder(buf), buf: buf}
}

func (c *gobServerCodec) ReadRequestHeader(r *rpc.Request) error { return c.dec.Decode(r) }

func (c *gobServerCodec) ReadRequestBody(body any) error { return c.dec.Decode(body) }

func (c *gobServerCodec) WriteResponse(r *rpc.Response, body any) error {
	if err := c.enc.Encode(r); err != nil {
		c.Close()
		return err
	}
	if err := c.enc.Encode(body); err != nil {
		c.Close()
		return err
	}
	return c.buf.Flush()
}

func (c *gobServerCodec) Close() error {
	err := error(nil)
	c.once.Do(func() { err = c.closer.Close() })
	return err
}
