package elasticsearch

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
)

// RebuildClientConfig is the client of a rebuild run by a release job
// (staygraph reindex): every request must start answering within
// responseTimeout, and one that did not is not sent again, by the client
// (which by default sends a failed request up to three more times) nor by
// Rebuild (which sends again only what a busy cluster turned away). A
// server that takes connections and says nothing so stops the rebuild after
// one responseTimeout, instead of a job that hangs for many.
func RebuildClientConfig(addrs []string, responseTimeout time.Duration) elasticsearch.Config {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = responseTimeout
	return elasticsearch.Config{Addresses: addrs, Transport: transport,
		RetryOnError: func(_ *http.Request, err error) bool {
			var ne net.Error
			return !errors.As(err, &ne) || !ne.Timeout()
		}}
}
