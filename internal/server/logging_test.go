package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/server"
)

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	var seen string
	srv := serve(t, server.RequestIDs(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = server.RequestID(r.Context())
	})))

	got := do(t, newRequest(t, http.MethodGet, srv.URL, nil, map[string]string{"X-Request-Id": "edge-7f3a.1"}))
	if got.header.Get("X-Request-Id") != "edge-7f3a.1" || seen != "edge-7f3a.1" {
		t.Fatalf("a sane incoming id is kept: header %q context %q", got.header.Get("X-Request-Id"), seen)
	}
	got = do(t, newRequest(t, http.MethodGet, srv.URL, nil, nil))
	if id := got.header.Get("X-Request-Id"); len(id) != 24 || id != seen {
		t.Fatalf("a missing id is generated: header %q context %q", id, seen)
	}
	// Ids that proxies and tracers send are kept.
	for _, good := range []string{"123e4567-e89b-12d3-a456-426614174000", "12345678-1234-1234-1234-123456789012",
		"1-67891233-abcdef012345678912345678", "req-1712345678901", "00f067aa0ba902b7",
		// Hex ids whose digit runs pass the Luhn check by chance.
		"3d8bfce2-5575-4090-9620-9bf01c99cc84", "3D8BFCE2-5575-4090-9620-9BF01C99CC84", "3d8bfce25575409096209bf01c99cc84",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		// Digits between letters not laid out as a card number.
		"req2-5575-4090-9620-9x", "job:2101:2102"} {
		got = do(t, newRequest(t, http.MethodGet, srv.URL, nil, map[string]string{"X-Request-Id": good}))
		if id := got.header.Get("X-Request-Id"); id != good {
			t.Errorf("id %q must be kept, got %q", good, id)
		}
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 65), "a\"b", "<script>",
		// A card number, however it is joined or split.
		"4111111111111111", "4111-1111-1111-1111", "4111.1111.1111.1111", "4111:1111:1111:1111", "4111_1111_1111_1111",
		"req-4111111111111111", "req4111111111111111", "x_4111111111111111", "req-4111-1111-1111-1111", "4111111111111111-retry",
		"trace:3782-822463-10005:1", "req3782-822463-10005", "req-4111:1111:1111:1111", "x4111.1111.1111.1111y"} {
		got = do(t, newRequest(t, http.MethodGet, srv.URL, nil, map[string]string{"X-Request-Id": bad}))
		if id := got.header.Get("X-Request-Id"); id == bad || len(id) != 24 {
			t.Errorf("id %q must be replaced, got %q", bad, id)
		}
	}
}

// UUIDs and random hex ids, as tracers and proxies make them, are kept: the
// digit runs between their letters are not card numbers, even when they pass
// the Luhn check (about one id in a thousand).
func TestRandomHexRequestIDsAreKept(t *testing.T) {
	t.Parallel()
	var b [16]byte
	for i := 0; i < 200_000; i++ {
		if id := uuid.NewString(); !server.ValidRequestID(id) {
			t.Fatalf("UUID %q refused", id)
		}
		_, _ = rand.Read(b[:])
		if id := hex.EncodeToString(b[:]); !server.ValidRequestID(id) {
			t.Fatalf("hex id %q refused", id)
		}
	}
}

func TestLogHandlerAddsRequestIDAndRedacts(t *testing.T) {
	t.Parallel()
	var buf logBuffer
	log := slog.New(server.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	ctx := server.WithRequestID(context.Background(), "req-42")

	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJndWVzdCJ9.c2lnbmF0dXJl"
	log.With("authorization", "Bearer "+jwt).InfoContext(ctx, "something about ana@example.com",
		"err", errors.New("send to ana@example.com with Bearer "+jwt+" failed"),
		"X-API-Key", "sg_abcdefghijkl_c2VjcmV0c2VjcmV0",
		"note", "key sg_abcdefghijkl_c2VjcmV0c2VjcmV0 and card 4111 1111 1111 1111",
		slog.Group("input", "email", "bob@example.com", "phone", "+44 20 7946 0958", "city", "Tokyo"),
		"variables", map[string]any{"email": "carol@example.com"},
		"url", "postgres://postgres@127.0.0.1:54329/staygraph",
		"db", "postgres://app:S3cretPw@10.1.2.3:5432/db and redis://:R3disPw@10.0.0.7:6379/0",
	)
	out := buf.String()
	for _, secret := range []string{jwt, "ana@example.com", "bob@example.com", "carol@example.com", "c2VjcmV0c2VjcmV0",
		"4111 1111 1111 1111", "7946", "S3cretPw", "R3disPw"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q: %s", secret, out)
		}
	}
	for _, kept := range []string{`"request_id":"req-42"`, `"city":"Tokyo"`, "[email]", "[card number]", "postgres@127.0.0.1:54329", "postgres://app:[redacted]@10.1.2.3:5432"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log lacks %s: %s", kept, out)
		}
	}
}

func TestAccessLogNeverLogsCredentialsOrQueries(t *testing.T) {
	t.Parallel()
	var buf logBuffer
	log := slog.New(server.NewLogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	srv := serve(t, server.Chain(okHandler, server.RequestIDs, server.AccessLog(log)))
	do(t, newRequest(t, http.MethodGet, srv.URL+"/graphql?variables=%7B%22email%22%3A%22ana%40example.com%22%7D", nil, map[string]string{
		"Authorization": "Bearer secret-token-value", "X-API-Key": "sg_abcdefghijkl_c2VjcmV0", "X-Request-Id": "req-7",
	}))
	out := buf.String()
	if strings.Contains(out, "secret-token-value") || strings.Contains(out, "c2VjcmV0") || strings.Contains(out, "example.com") {
		t.Fatalf("access log leaks: %s", out)
	}
	if !strings.Contains(out, `"request_id":"req-7"`) || !strings.Contains(out, `"path":"/graphql"`) {
		t.Fatalf("access log line: %s", out)
	}
}

// Logs blank out tokens and API keys wherever they
// appear. A client (or a misconfigured proxy) that sends a partner's API key
// as its X-Request-Id gets it accepted as a "sane" id, and the id is added
// to every log line after redaction: the key is logged in full.
func TestRequestIDHoldingACredentialIsReplaced(t *testing.T) {
	t.Parallel()
	const key = "sg_k3y9prefix0a_Zq2d6Wk1vYp4Jr8Tn3Xc5Lm7Hb0Gf9Ds2Ae6Rw1Qy4U"
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	stack := server.NewStack(server.StackOpts{Logger: log})
	srv := serve(t, stack.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	got := do(t, newRequest(t, http.MethodPost, srv.URL+"/graphql", nil, map[string]string{"X-Request-Id": key}))
	if strings.Contains(buf.String(), key) {
		t.Errorf("the log holds the API key sent as X-Request-Id:\n%s", buf.String())
	}
	if got.header.Get("X-Request-Id") == key {
		t.Errorf("the API key was accepted as the request id (it goes to every log line and job metadata)")
	}
}
