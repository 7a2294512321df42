package hellorpc

import (
	"context"
	"net"
	"net/rpc"
)

// Client is a net/rpc client that speaks the fast codec.
type Client struct {
	*rpc.Client
	codec *ClientCodec
}

// Abort closes the connection at once, without writing the requests still buffered: every
// pending call fails. Close, by contrast, first writes them (waiting up to closeFlushTimeout).
func (c *Client) Abort() { c.codec.w.abort() }

// Dial connects to a hello server's RPC port. onReadError, if not nil, is called once when the
// connection fails (see NewClientCodec).
func Dial(ctx context.Context, addr string, onReadError func(error)) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	codec, err := NewClientCodec(conn, onReadError)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Client{Client: rpc.NewClientWithCodec(codec), codec: codec}, nil
}
