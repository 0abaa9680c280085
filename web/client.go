package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr sets r.RemoteAddr to the client's address when the request
// came through one of the trusted proxies (KIGEN_TRUSTED_PROXIES): the
// right-most address of X-Forwarded-For that is not itself a trusted
// proxy. The limits kept per client (the console's login throttle, the
// sign-up limits) then count each client, not the load balancer. A
// request from any other address keeps its own: X-Forwarded-For is
// ignored, since anyone can send it.
func clientAddr(r *http.Request, trusted []netip.Prefix) {
	if len(trusted) == 0 || !isTrusted(hostOf(r.RemoteAddr), trusted) {
		return
	}
	hops := r.Header.Values("X-Forwarded-For")
	var addrs []string
	for _, h := range hops {
		for a := range strings.SplitSeq(h, ",") {
			addrs = append(addrs, strings.TrimSpace(a))
		}
	}
	for i := len(addrs) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(addrs[i])
		if err != nil {
			return // a garbled header: keep the proxy's address
		}
		if !isTrusted(ip.Unmap().String(), trusted) {
			r.RemoteAddr = net.JoinHostPort(ip.Unmap().String(), "0")
			return
		}
	}
}

// hostOf returns the host of a host:port address (the address itself if
// it has no port).
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func isTrusted(host string, trusted []netip.Prefix) bool {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
