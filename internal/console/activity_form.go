package console

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/sitetime"
	"schoolgate/internal/store"
)

// activityForm is the activity search as the page's form (and the CSV
// export's query) sends it. Times are site-local.
type activityForm struct {
	Person, Group, Client, Host, Category, Verdict, Source, Since, Until, Ref string
	// Before is the keyset cursor: events strictly older than this
	// (microseconds since the epoch), from the "next" link.
	Before string
}

// errForm: a search form that cannot be read.
var errForm = errors.New("the search is not valid")

func readActivityForm(q url.Values) activityForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return activityForm{Person: g("person"), Group: g("group"), Client: g("client"), Host: strings.ToLower(g("host")),
		Category: g("category"), Verdict: g("verdict"), Source: g("source"), Since: g("since"), Until: g("until"),
		Ref: g("ref"), Before: g("before")}
}

// parseLocal reads a time the command line's way (sitetime.Parse).
func parseLocal(field, s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := sitetime.Parse(s, loc); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: want a date (2026-12-02) or a date and time (2026-12-02T10:00) in the school's time zone", errForm, field, s)
}

// Filter checks the form and turns it into the store's filter (without
// a limit).
func (f activityForm) Filter(loc *time.Location) (store.ActivityFilter, error) {
	out := store.ActivityFilter{User: f.Person, Group: f.Group, Host: f.Host, Category: f.Category, Ref: f.Ref}
	if f.Client != "" {
		ip, err := netip.ParseAddr(f.Client)
		if err != nil {
			return out, fmt.Errorf("%w: client %q is not an IP address", errForm, f.Client)
		}
		out.Client = ip.String()
	}
	switch f.Verdict {
	case "", "allow", "warn", "block":
		out.Verdict = f.Verdict
	default:
		return out, fmt.Errorf("%w: verdict %q (want allow, warn or block)", errForm, f.Verdict)
	}
	switch f.Source {
	case "", "dns", "proxy":
		out.Point = f.Source
	default:
		return out, fmt.Errorf("%w: source %q (want dns or proxy)", errForm, f.Source)
	}
	var err error
	if out.Since, err = parseLocal("from", f.Since, loc); err != nil {
		return out, err
	}
	if out.Until, err = parseLocal("to", f.Until, loc); err != nil {
		return out, err
	}
	if !out.Since.IsZero() && !out.Until.IsZero() && !out.Until.After(out.Since) {
		return out, fmt.Errorf("%w: the end (%s) is not after the start (%s)", errForm, f.Until, f.Since)
	}
	if f.Before != "" {
		us, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || us <= 0 {
			return out, fmt.Errorf("%w: the page link is damaged (before %q)", errForm, f.Before)
		}
		b := time.UnixMicro(us).UTC()
		if out.Until.IsZero() || b.Before(out.Until) {
			out.Until = b
		}
	}
	return out, nil
}

// query is the form as a query string (without the cursor), for links.
func (f activityForm) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"person": f.Person, "group": f.Group, "client": f.Client, "host": f.Host, "category": f.Category,
		"verdict": f.Verdict, "source": f.Source, "since": f.Since, "until": f.Until, "ref": f.Ref} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}
