package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns a function that finds the address of a request's client.
// With header empty it is the connection's peer address. Behind a proxy, name
// the header the proxy sets (X-Forwarded-For, X-Real-IP): the last address in
// it is used, the one the nearest proxy added, which clients cannot forge.
// The header is trusted as is, so set it only when every request comes
// through that proxy.
func ClientIP(header string) func(r *http.Request) netip.Addr {
	return func(r *http.Request) netip.Addr {
		if header != "" {
			if values := r.Header.Values(header); len(values) > 0 {
				last := values[len(values)-1]
				if i := strings.LastIndexByte(last, ','); i >= 0 {
					last = last[i+1:]
				}
				if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
					return a.Unmap()
				}
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		a, _ := netip.ParseAddr(host)
		return a.Unmap()
	}
}

// clientKey is the rate limit key of an anonymous client: its IPv4 address,
// or the /64 network of its IPv6 address (one subscriber usually holds a
// whole /64, so single addresses would be free to rotate).
func clientKey(a netip.Addr) string {
	if !a.IsValid() {
		return "ip:unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}
