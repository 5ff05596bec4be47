package pages

import "net/http"

// Cause is why a site could not be reached, in the words the page uses.
type Cause int

const (
	CauseOther    Cause = iota // anything else (reset, no route)
	CauseNotFound              // the name does not exist in DNS
	CauseRefused               // nothing listens at the site's address
	CauseTimeout               // no answer within proxy.upstream_timeout
	CauseTLS                   // the site's certificate or TLS failed
)

// String names the cause for metrics and logs.
func (c Cause) String() string {
	switch c {
	case CauseNotFound:
		return "not_found"
	case CauseRefused:
		return "refused"
	case CauseTimeout:
		return "timeout"
	case CauseTLS:
		return "tls"
	}
	return "other"
}

// Unreachable shows, in the school's page style, why host could not be
// reached, so that a pupil or teacher can tell a site that is down or
// mistyped from one the filter blocked.
func (p *Pages) Unreachable(w http.ResponseWriter, status int, host string, cause Cause) {
	title, text := UnreachableText(host, cause)
	p.message(w, status, p.school(), title, text)
}

// UnreachableText is the page's title and sentence for a cause.
func UnreachableText(host string, cause Cause) (title, text string) {
	const notUs = " This is not the school's filter blocking it."
	switch cause {
	case CauseNotFound:
		return "Site not found", "There is no site called " + host + ": the name was not found. Check the address for a typing mistake." + notUs
	case CauseRefused:
		return "Site not accepting connections", host + " refused the connection: the site is down or not taking visitors at the moment. Try again later." + notUs
	case CauseTimeout:
		return "Site took too long to answer", host + " did not answer in time: it may be down or very slow. Try again later." + notUs
	case CauseTLS:
		return "Site's security could not be checked", "A secure connection to " + host + " could not be made: its certificate is not valid for it, has expired, or is not trusted. The filter does not open a site whose identity it cannot check."
	}
	return "Site could not be reached", host + " could not be reached: the connection failed. Try again later." + notUs
}
