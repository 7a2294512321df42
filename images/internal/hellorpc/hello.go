// Package hellorpc is the net/rpc protocol between the RPC gateway and the hello servers: the
// Server.Hello types, a fast binary codec (still net/rpc: an rpc.ClientCodec and rpc.ServerCodec),
// and a listener loop that also serves the seed's gob clients on the same port.
package hellorpc

import (
	"encoding/binary"
	"errors"
)

// Method is the service method the gateway calls, the seed's name.
const Method = "Server.Hello"

// HelloArgs is the (empty) argument of Server.Hello.
type HelloArgs struct{}

func (HelloArgs) AppendBinary(b []byte) ([]byte, error) { return b, nil }

func (*HelloArgs) UnmarshalBinary([]byte) error { return nil }

// HelloReply is the answer of Server.Hello: the response body and the id of the instance that
// answered, which the gateway passes on as X-Served-By.
type HelloReply struct {
	Text     []byte
	ServedBy string
}

func (r *HelloReply) AppendBinary(b []byte) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(r.ServedBy)))
	b = append(b, r.ServedBy...)
	return append(b, r.Text...), nil
}

var errShortReply = errors.New("hellorpc: malformed HelloReply")

// UnmarshalBinary reuses r.Text's storage, so a pooled reply decodes without allocating the body.
func (r *HelloReply) UnmarshalBinary(p []byte) error {
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return errShortReply
	}
	p = p[n:]
	if string(p[:l]) != r.ServedBy {
		r.ServedBy = string(p[:l])
	}
	r.Text = append(r.Text[:0], p[l:]...)
	return nil
}
