package main

import (
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"clusterbench.dev/images/internal/serve"
)

// The gateway's HTTP/1.1 front end is fasthttp rather than net/http: per request, net/http
// allocates a header map and a response, parses and writes headers through them, and starts a
// background read to notice a client that goes away: with fasthttp the gateway's own CPU per
// request halved (README, Method, "The gateway's request path"). GET / is served by fasthttp directly; the rest (health, metrics, and net/http's 404 and
// 405 answers) goes through a net/http ServeMux, off the hot path.
func newHTTPServer(hello fasthttp.RequestHandler, other http.Handler) *fasthttp.Server {
	otherFast := fasthttpadaptor.NewFastHTTPHandler(other)
	return &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if string(ctx.Path()) != "/" {
				otherFast(ctx)
				return
			}
			if !ctx.IsGet() && !ctx.IsHead() {
				ctx.Error(http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
				ctx.Response.Header.Set("Allow", "GET, HEAD") // after Error, which resets the headers
				return
			}
			hello(ctx)
		},
		ErrorHandler: answerBadRequest,
		// The limits of serve.NewHTTPServer: a request head must fit the read buffer (else 431),
		// and a body over MaxBodyBytes is refused (413); a smaller one is read and dropped.
		ReadBufferSize:     serve.MaxHeaderBytes,
		MaxRequestBodySize: serve.MaxBodyBytes,
		ReadTimeout:        10 * time.Second,
		IdleTimeout:        2 * time.Minute,
		// On SIGTERM, answers in flight say Connection: close, so clients move on.
		CloseOnShutdown:       true,
		NoDefaultServerHeader: true,
		Logger:                quietLogger{log.New(os.Stderr, "", log.LstdFlags)},
	}
}

// quietLogger drops fasthttp's line per connection that ended in an error (a malformed request,
// already answered 400): as net/http, a client cannot fill the log. The rest, about accepting
// connections, is printed.
type quietLogger struct{ *log.Logger }

func (l quietLogger) Printf(format string, args ...any) {
	if !strings.HasPrefix(format, "error when serving connection") {
		l.Logger.Printf(format, args...)
	}
}

// answerBadRequest answers a request fasthttp could not read, with net/http's statuses.
func answerBadRequest(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small):
		ctx.Error("request header too large", http.StatusRequestHeaderFieldsTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("request body too large", http.StatusRequestEntityTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		ctx.Error("request timeout", http.StatusRequestTimeout)
	default:
		ctx.Error("bad request", http.StatusBadRequest)
	}
}

// httpService serves srv on l, as serve.HTTPService does an http.Server.
func httpService(srv *fasthttp.Server, l net.Listener) serve.Service {
	return serve.Service{
		Serve:    func() error { return srv.Serve(l) },
		Shutdown: srv.ShutdownWithContext,
	}
}
