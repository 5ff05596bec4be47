package pages

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// auaSet is the snapshot's acceptable-use agreements, texts loaded, with
// the versions published from the console (read at fetched) in place of
// the policy file's.
type auaSet struct {
	snap      *policy.Snapshot
	entries   []auaEntry
	fetched   time.Time
	published map[string]Published
}

// Published is a version of a group's agreement published from the
// console: it takes precedence over the policy file's aua: entry.
type Published struct {
	Version string
	Text    string
}

// PublishedAgreements is an Agreements store that also keeps versions
// published from the console, each group's newest for site.
type PublishedAgreements interface {
	PublishedAUAs(ctx context.Context, site string) (map[string]Published, error)
}

// auaRefresh is how often the published versions are read again: a new
// version reaches every node's gate within it.
const auaRefresh = 5 * time.Second

type auaEntry struct {
	group   int
	name    string
	version string
	text    string
}

// agreements returns the current snapshot's agreements, reading their
// texts once per snapshot. A text that cannot be read is logged, and its
// agreement shows a line saying so rather than letting nobody in.
func (p *Pages) agreements() *auaSet {
	snap := p.o.Engine.Snapshot()
	now := p.o.Now()
	old := p.aua.Load()
	if old != nil && old.snap == snap && now.Sub(old.fetched) < auaRefresh {
		return old
	}
	c := snap.Config()
	a := &auaSet{snap: snap, fetched: now}
	if pa, ok := p.o.Agreements.(PublishedAgreements); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		pub, err := pa.PublishedAUAs(ctx, c.Site.ID)
		cancel()
		switch {
		case err == nil:
			a.published = pub
		case old != nil:
			a.published = old.published // keep the last known versions
			p.o.Log.Error("pages: published aua versions unreadable", "err", err)
		default:
			p.o.Log.Error("pages: published aua versions unreadable", "err", err)
		}
	}
	for _, e := range c.AUA {
		gi, ok := snap.GroupIndex(e.Name)
		if !ok {
			p.o.Log.Error("pages: aua names an unknown group", "group", e.Name)
			continue
		}
		if pub, ok := a.published[e.Name]; ok { // the console's version, in the file's place
			a.entries = append(a.entries, auaEntry{group: gi, name: e.Name, version: pub.Version, text: pub.Text})
			continue
		}
		text := "The acceptable use agreement text is missing: ask a member of staff."
		if b, err := os.ReadFile(c.Path(e.Value.File)); err == nil {
			text = string(b)
		} else {
			p.o.Log.Error("pages: aua text unreadable", "group", e.Name, "err", err)
		}
		a.entries = append(a.entries, auaEntry{group: gi, name: e.Name, version: e.Value.Version, text: text})
	}
	// The console's versions of groups the policy file has no agreement
	// for, after its entries, by name.
	var rest []string
	for g := range a.published {
		if !slices.ContainsFunc(c.AUA, func(e config.Entry[config.AUA]) bool { return e.Name == g }) {
			rest = append(rest, g)
		}
	}
	slices.Sort(rest)
	for _, g := range rest {
		gi, ok := snap.GroupIndex(g)
		if !ok {
			p.o.Log.Error("pages: a published aua names an unknown group", "group", g)
			continue
		}
		pub := a.published[g]
		a.entries = append(a.entries, auaEntry{group: gi, name: g, version: pub.Version, text: pub.Text})
	}
	p.aua.Store(a)
	return a
}

// current is the agreement that applies to v: the first aua entry, in
// the order written, whose group v is in.
func (a *auaSet) current(v Visitor) *auaEntry {
	for i := range a.entries {
		if v.Groups.Has(a.entries[i].group) {
			return &a.entries[i]
		}
	}
	return nil
}

// Gates reports whether an agreement applies to v at all (a cheap test,
// before Gate, which may ask the store).
func (p *Pages) Gates(v Visitor) bool {
	if p.o.Agreements == nil {
		return false
	}
	return p.agreements().current(v) != nil
}

// Gate shows the acceptable-use agreement to a visitor who has not
// accepted the current version for their group, and reports whether it
// answered. Without an agreement store nothing is gated.
func (p *Pages) Gate(w http.ResponseWriter, r *http.Request, v Visitor) bool {
	if p.o.Agreements == nil {
		return false
	}
	a := p.agreements()
	if len(a.entries) == 0 {
		return false
	}
	e := a.current(v)
	if e == nil {
		return false
	}
	key := v.subject() + "\x00" + e.name + "\x00" + e.version
	p.mu.Lock()
	ok := p.accepted[key]
	p.mu.Unlock()
	if ok {
		return false
	}
	has, err := p.o.Agreements.HasAccepted(r.Context(), v.subject(), e.name, e.version)
	if err != nil {
		// The database is down: let people work rather than lock the
		// school out; the gate returns when it is back.
		p.o.Log.Error("pages: aua lookup failed", "err", err)
		return false
	}
	if has {
		p.mu.Lock()
		p.rememberAccepted(key)
		p.mu.Unlock()
		return false
	}
	ret := r.URL.String()
	if r.Method != http.MethodGet || !isWebURL(ret) {
		ret = ""
	}
	p.render(w, http.StatusOK, "aua.html", map[string]any{
		"CSS": p.css, "School": p.school(), "Text": strings.TrimSpace(e.text),
		"Group": e.name, "Version": e.version, "Return": ret,
		"Action": p.formAction(r, "aua"), "Token": p.token("aua", v, ret),
	})
	return true
}

// accept records an agreement and sends the visitor on to the page they
// first asked for.
func (p *Pages) accept(w http.ResponseWriter, r *http.Request, v Visitor, school string) {
	if p.o.Agreements == nil {
		p.message(w, http.StatusServiceUnavailable, school, "Not available", "Agreements cannot be recorded right now.")
		return
	}
	a := p.agreements()
	e := a.current(v)
	if e == nil || e.name != r.PostFormValue("group") || e.version != r.PostFormValue("version") {
		p.message(w, http.StatusConflict, school, "The agreement has changed", "Please go back, reload the page and read the current agreement.")
		return
	}
	key := v.subject() + "\x00" + e.name + "\x00" + e.version
	p.mu.Lock()
	again := p.accepted[key]
	p.mu.Unlock()
	var err error
	if !again { // an agreement already on record is not stored twice
		err = p.o.Agreements.AcceptAUA(r.Context(), Acceptance{User: v.subject(), Group: e.name, Version: e.version, Client: v.Client, At: p.o.Now()})
	}
	if err != nil {
		p.o.Log.Error("pages: aua acceptance not stored", "err", err)
		p.message(w, http.StatusServiceUnavailable, school, "Not recorded", "Your agreement could not be saved: please try again.")
		return
	}
	if !again {
		p.mu.Lock()
		p.rememberAccepted(key)
		p.mu.Unlock()
		d := policy.Decision{Category: -1, Groups: v.Groups}
		p.logAction(a.snap, v, &d, "", "", "aua-accept")
	}
	ret := r.PostFormValue("return")
	if !isWebURL(ret) {
		p.message(w, http.StatusOK, school, "Thank you", "You have agreed to the school's rules. You can now use the internet.")
		return
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}
