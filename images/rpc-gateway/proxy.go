package main

import (
	"errors"
	"net/http"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"clusterbench.dev/images/internal/hellorpc"
)

// gateway answers GET / with one Server.Hello call to a backend.
type gateway struct {
	pool        *pool
	callTimeout time.Duration
	attempts    int // 2 with --retry: once more on another backend after a connection failure

	responses [numStatuses]atomic.Uint64
	retries   atomic.Uint64
}

// the statuses the gateway answers GET / with, for metrics
const (
	status200 = iota
	status502
	status503
	status504
	numStatuses
)

var statusCodes = [numStatuses]int{200, 502, 503, 504}

// callState is what one request needs for its call; pooled, so the hot path allocates little.
// A state whose call timed out is dropped, not pooled: net/rpc may still write its reply and done.
type callState struct {
	reply hellorpc.HelloReply
	done  chan *rpc.Call
	timer *time.Timer
}

var callStates = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &callState{done: make(chan *rpc.Call, 1), timer: t}
}}

const textPlain = "text/plain; charset=utf-8"

func (g *gateway) serveHello(ctx *fasthttp.RequestCtx) {
	st := callStates.Get().(*callState)
	st.timer.Reset(g.callTimeout)
	status := g.call(st)
	g.responses[status].Add(1)
	if status != status200 {
		if status != status504 { // a timed-out call may still write into st
			st.timer.Stop()
			callStates.Put(st)
		}
		ctx.Error(http.StatusText(statusCodes[status]), statusCodes[status])
		return
	}
	st.timer.Stop()
	ctx.Response.Header.SetContentType(textPlain)
	ctx.Response.Header.Set("X-Served-By", st.reply.ServedBy)
	ctx.SetBody(st.reply.Text)
	callStates.Put(st)
}

// call runs Server.Hello on a backend, and once more on another after a connection failure,
// all within the call timeout. It returns the status.
// A client that goes away meanwhile is not watched for: the call ends within the timeout anyway.
func (g *gateway) call(st *callState) int {
	var tried *backend
	for range g.attempts {
		b := g.pool.pick(tried)
		if b == nil {
			return status503
		}
		if tried != nil {
			g.retries.Add(1)
		}
		tried = b
		c := b.conn()
		if c == nil { // its last connection died since pick looked
			continue
		}
		b.outstanding.Add(1)
		call := c.client.Go(hellorpc.Method, hellorpc.HelloArgs{}, &st.reply, st.done)
		select {
		case <-call.Done:
			b.outstanding.Add(-1)
			if call.Error == nil {
				b.calls[resultOK].Add(1)
				if !c.useful.Load() { // a load first: no write to a shared cache line per call
					c.useful.Store(true)
				}
				return status200
			}
			b.calls[resultError].Add(1)
			var serverErr rpc.ServerError
			if errors.As(call.Error, &serverErr) {
				return status502 // the backend answered, with an error: not retried
			}
			// The connection failed: try another backend.
		case <-st.timer.C:
			b.outstanding.Add(-1)
			b.calls[resultTimeout].Add(1)
			c.kill()
			return status504
		}
	}
	return status503
}
