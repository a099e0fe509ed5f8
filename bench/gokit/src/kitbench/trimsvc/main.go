// Command trimsvc is trim written with go-kit 0.10 (Debian's golang-github-go-kit-kit-dev): /pb.Trim/TrimSpace
// over gRPC, each call through go-kit's gRPC server transport, an endpoint, and a request log line (JSON, go-kit
// log). It is the go-kit column of `make bench`, not part of the product.
package main

import (
	"context"
	"flag"
	"net"
	"os"
	"strings"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/log"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"google.golang.org/grpc"

	"kitbench/wire"
)

func trimSpace(_ context.Context, request interface{}) (interface{}, error) {
	req := request.(*wire.TrimRequest)
	return &wire.TrimResponse{S: strings.ReplaceAll(req.S, " ", "")}, nil
}

// logged writes one JSON line per request, as the kit's request log does.
func logged(logger log.Logger, method string) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request interface{}) (interface{}, error) {
			start := time.Now()
			response, err := next(ctx, request)
			outcome := "ok"
			if err != nil {
				outcome = "internal"
			}
			logger.Log("event", "request", "service", "trim", "method", method, "transport", "grpc",
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "outcome", outcome)
			return response, err
		}
	}
}

type server struct{ trim grpctransport.Handler }

func handleTrim(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(wire.TrimRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	_, reply, err := srv.(*server).trim.ServeGRPC(ctx, in)
	return reply, err
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "pb.Trim",
	HandlerType: (*interface{})(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "TrimSpace", Handler: handleTrim}},
}

func main() {
	addr := flag.String("grpc", "127.0.0.1:0", "gRPC listen address")
	flag.Parse()
	logger := log.With(log.NewJSONLogger(log.NewSyncWriter(os.Stdout)), "ts", log.DefaultTimestampUTC)
	identity := func(_ context.Context, r interface{}) (interface{}, error) { return r, nil }
	handler := grpctransport.NewServer(logged(logger, "TrimSpace")(trimSpace), identity, identity)
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Log("event", "listen failed", "err", err)
		os.Exit(1)
	}
	s := grpc.NewServer(grpc.CustomCodec(wire.Codec{}))
	s.RegisterService(&serviceDesc, &server{trim: handler})
	logger.Log("event", "trim serving", "grpc", listener.Addr().String())
	if err := s.Serve(listener); err != nil {
		logger.Log("event", "serve failed", "err", err)
		os.Exit(1)
	}
}
