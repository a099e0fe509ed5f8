// Command addsvc is add's HTTP API written with go-kit 0.10 (Debian's golang-github-go-kit-kit-dev): POST /sum and
// POST /concat with the JSON shapes of docs/contracts.md, each through go-kit's HTTP server transport, an endpoint and
// a request log line. Concat trims both strings with two calls to the trims named by -trims, over gRPC through
// go-kit's gRPC client transport, a fixed endpointer, round robin and retry (sd/lb). It is the go-kit column of
// `make bench`, not part of the product.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/go-kit/kit/log"
	"github.com/go-kit/kit/sd"
	"github.com/go-kit/kit/sd/lb"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	httptransport "github.com/go-kit/kit/transport/http"
	"google.golang.org/grpc"

	"kitbench/wire"
)

type sumRequest struct {
	A *int64 `json:"a"`
	B *int64 `json:"b"`
}

type concatRequest struct {
	A *string `json:"a"`
	B *string `json:"b"`
}

type badRequest struct{ msg string }

func (e badRequest) Error() string   { return e.msg }
func (e badRequest) StatusCode() int { return http.StatusBadRequest }

func sum(_ context.Context, request interface{}) (interface{}, error) {
	req := request.(sumRequest)
	a, b := *req.A, *req.B
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return nil, badRequest{"integer overflow"}
	}
	return map[string]int64{"v": a + b}, nil
}

func concat(trim endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, request interface{}) (interface{}, error) {
		req := request.(concatRequest)
		a, err := trim(ctx, &wire.TrimRequest{S: *req.A})
		if err != nil {
			return nil, err
		}
		b, err := trim(ctx, &wire.TrimRequest{S: *req.B})
		if err != nil {
			return nil, err
		}
		return map[string]string{"v": a.(*wire.TrimResponse).S + b.(*wire.TrimResponse).S}, nil
	}
}

func logged(logger log.Logger, method string) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request interface{}) (interface{}, error) {
			start := time.Now()
			response, err := next(ctx, request)
			outcome := "ok"
			if err != nil {
				outcome = "error"
			}
			logger.Log("event", "request", "service", "add", "method", method, "transport", "http",
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "outcome", outcome)
			return response, err
		}
	}
}

func decodeSum(_ context.Context, r *http.Request) (interface{}, error) {
	var req sumRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.A == nil || req.B == nil {
		return nil, badRequest{"want {\"a\": <int64>, \"b\": <int64>}"}
	}
	return req, nil
}

func decodeConcat(_ context.Context, r *http.Request) (interface{}, error) {
	var req concatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.A == nil || req.B == nil {
		return nil, badRequest{"want {\"a\": <string>, \"b\": <string>}"}
	}
	return req, nil
}

func encodeError(_ context.Context, err error, w http.ResponseWriter) {
	code := http.StatusServiceUnavailable
	var bad badRequest
	if errors.As(err, &bad) {
		code = bad.StatusCode()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// trimEndpoint is round robin over one go-kit gRPC client endpoint per trim, retried up to 3 times in 1 s.
func trimEndpoint(addrs []string) (endpoint.Endpoint, error) {
	var endpoints sd.FixedEndpointer
	for _, addr := range addrs {
		conn, err := grpc.Dial(addr, grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.ForceCodec(wire.Codec{})))
		if err != nil {
			return nil, err
		}
		identity := func(_ context.Context, r interface{}) (interface{}, error) { return r, nil }
		client := grpctransport.NewClient(conn, "pb.Trim", "TrimSpace", identity, identity, wire.TrimResponse{})
		endpoints = append(endpoints, client.Endpoint())
	}
	return lb.Retry(3, time.Second, lb.NewRoundRobin(endpoints)), nil
}

func main() {
	addr := flag.String("http", "127.0.0.1:8080", "HTTP listen address")
	trims := flag.String("trims", "", "comma-separated host:port of the trims' gRPC servers")
	flag.Parse()
	logger := log.With(log.NewJSONLogger(log.NewSyncWriter(os.Stdout)), "ts", log.DefaultTimestampUTC)
	trim, err := trimEndpoint(strings.Split(*trims, ","))
	if err != nil {
		logger.Log("event", "dial failed", "err", err)
		os.Exit(1)
	}
	options := []httptransport.ServerOption{httptransport.ServerErrorEncoder(encodeError)}
	mux := http.NewServeMux()
	mux.Handle("/sum", httptransport.NewServer(logged(logger, "Sum")(sum), decodeSum, httptransport.EncodeJSONResponse, options...))
	mux.Handle("/concat", httptransport.NewServer(logged(logger, "Concat")(concat(trim)), decodeConcat, httptransport.EncodeJSONResponse, options...))
	logger.Log("event", "add serving", "http", *addr)
	if err := http.ListenAndServe(*addr, mux); err != nil {
		logger.Log("event", "serve failed", "err", err)
		os.Exit(1)
	}
}
