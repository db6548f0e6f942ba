package notify_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/notify"
)

// A receiver that answers with a redirect does not get the delivery sent on
// to another address: the redirect is its answer, and a refusal for good.
func TestDeliveriesDoNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { elsewhere.Add(1) }))
	defer internal.Close()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusTemporaryRedirect)
	}))
	defer receiver.Close()

	req, err := http.NewRequest(http.MethodPost, receiver.URL, strings.NewReader(`{"signed":"body"}`))
	if err != nil {
		t.Fatal(err)
	}
	err = notify.Post(notify.NewClient(5*time.Second), req)
	answer, refused := notify.Refusal(err)
	if !refused || answer.Code != http.StatusTemporaryRedirect {
		t.Fatalf("redirect answer: %v, want a refusal with 307", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests, want none", n)
	}
}
