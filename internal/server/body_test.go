package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/server"
)

func TestLimitBodyRefusesLargeRequests(t *testing.T) {
	t.Parallel()
	srv := serve(t, server.Chain(okHandler, server.RequestIDs, server.LimitBody(1024)))

	small := do(t, newRequest(t, http.MethodPost, srv.URL, []byte(strings.Repeat("a", 1024)), nil))
	if small.status != http.StatusOK {
		t.Fatalf("a body at the limit: %d %s", small.status, small.body)
	}

	big := do(t, newRequest(t, http.MethodPost, srv.URL, []byte(strings.Repeat("a", 1025)), nil))
	if big.status != http.StatusRequestEntityTooLarge || big.code() != server.CodeRequestTooLarge {
		t.Fatalf("a body over the limit: %d %s", big.status, big.body)
	}
	if big.err.Extensions["requestId"] != big.header.Get(server.RequestIDHeader) || big.header.Get(server.RequestIDHeader) == "" {
		t.Errorf("the refusal must carry the request id: %s", big.body)
	}

	// A chunked body announces no length: it is cut off while being read.
	pr, pw := io.Pipe()
	go func() {
		for range 64 {
			if _, err := pw.Write([]byte(strings.Repeat("b", 100))); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, pr)
	req.ContentLength = -1
	if chunked := do(t, req); chunked.status != http.StatusRequestEntityTooLarge || chunked.code() != server.CodeRequestTooLarge {
		t.Fatalf("a chunked body over the limit: %d %s", chunked.status, chunked.body)
	}

	// GET carries the operation in the URL: the same limit applies.
	long := do(t, newRequest(t, http.MethodGet, srv.URL+"?query="+strings.Repeat("x", 2000), nil, nil))
	if long.status != http.StatusRequestEntityTooLarge || long.code() != server.CodeRequestTooLarge {
		t.Fatalf("a query string over the limit: %d %s", long.status, long.body)
	}
}
