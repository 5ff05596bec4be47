package dnsfilter

import "github.com/miekg/dns"

// stripECH removes Encrypted Client Hello configurations from HTTPS and
// SVCB records. With ECH a browser hides the real server name inside the
// TLS handshake, so the proxy could neither filter nor log the site;
// without a config it sends a plain SNI. It runs on every upstream answer
// before caching, so it costs nothing on a cache hit.
func stripECH(m *dns.Msg) {
	for _, sec := range [][]dns.RR{m.Answer, m.Extra} {
		for _, rr := range sec {
			var kv *[]dns.SVCBKeyValue
			switch x := rr.(type) {
			case *dns.HTTPS:
				kv = &x.Value
			case *dns.SVCB:
				kv = &x.Value
			default:
				continue
			}
			out := (*kv)[:0]
			for _, p := range *kv {
				switch x := p.(type) {
				case *dns.SVCBECHConfig:
					continue
				case *dns.SVCBMandatory:
					// A mandatory key that is missing would make the
					// record unusable: ech leaves the list too.
					codes := x.Code[:0]
					for _, c := range x.Code {
						if c != dns.SVCB_ECHCONFIG {
							codes = append(codes, c)
						}
					}
					if x.Code = codes; len(codes) == 0 {
						continue
					}
				}
				out = append(out, p)
			}
			*kv = out
		}
	}
}
