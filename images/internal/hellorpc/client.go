package hellorpc

import (
	"context"
	"net"
	"net/rpc"
)

// Dial connects to a hello server's RPC port and returns a net/rpc client that speaks the fast
// codec. onReadError, if not nil, is called once when the connection fails (see NewClientCodec).
func Dial(ctx context.Context, addr string, onReadError func(error)) (*rpc.Client, error) {
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
	return rpc.NewClientWithCodec(codec), nil
}
