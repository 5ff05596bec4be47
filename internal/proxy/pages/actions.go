package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/policy"
)

// Form limits.
const (
	maxForm    = 16 << 10
	maxReason  = 1000
	maxDetails = 2000
	maxURL     = 2000
)

// Serve handles a post to Prefix: request, concern, continue or aua.
func (p *Pages) Serve(w http.ResponseWriter, r *http.Request, v Visitor) {
	school := p.school()
	action := strings.TrimPrefix(r.URL.Path, Prefix)
	switch action {
	case "request", "concern", "continue", "aua":
	default:
		p.message(w, http.StatusNotFound, school, "Not found", "There is nothing here.")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		p.message(w, http.StatusMethodNotAllowed, school, "Use the form", "This address takes the form on the block page.")
		return
	}
	if err := p.cop.Check(r); err != nil {
		p.o.Log.Warn("pages: cross-origin form post refused", "action", action)
		p.message(w, http.StatusForbidden, school, "Not allowed", "This form can only be sent from the school's own page.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, school, "Something went wrong", "The form could not be read. Go back and try again.")
		return
	}
	switch action {
	case "request":
		p.askForAccess(w, r, v, school)
	case "concern":
		p.reportConcern(w, r, v, school)
	case "continue":
		p.continueTo(w, r, v, school)
	case "aua":
		p.accept(w, r, v, school)
	}
}

// decide re-decides a URL posted in a form: the form's own claims (its
// category, its verdict) are never trusted.
func (p *Pages) decide(v Visitor, raw string) (policy.Target, policy.Decision, *policy.Snapshot, error) {
	t, err := policy.ParseTarget(raw)
	if err != nil {
		return t, policy.Decision{}, nil, err
	}
	snap := p.o.Engine.Snapshot()
	q := policy.Query{Host: t.Host, Path: t.Path, User: v.User, Client: v.Client, Groups: v.Groups, At: p.o.Now(), Overrides: p.o.Engine.Overrides()}
	return t, snap.Decide(&q), snap, nil
}

func (p *Pages) logAction(snap *policy.Snapshot, v Visitor, d *policy.Decision, host, u, action string) {
	p.logEvent(snap, v, d, host, u, action, "")
}

// logEvent records what a visitor did (action) or was shown (a block page
// with its reference number).
func (p *Pages) logEvent(snap *policy.Snapshot, v Visitor, d *policy.Decision, host, u, action, ref string) {
	ev := activity.Event{
		Time: p.o.Now(), Client: v.Client, User: v.User, Groups: snap.GroupNames(v.Groups),
		Host: host, URL: u, Categories: snap.CategoryNames(d), Verdict: d.Verdict.String(),
		Illegal: d.Illegal, Rule: snap.Rule(d), Point: activity.PointProxy, Action: action, Ref: ref,
	}
	if d.Illegal {
		ev.URL = ""
	}
	p.o.Activity.Log(ev)
}

func (p *Pages) askForAccess(w http.ResponseWriter, r *http.Request, v Visitor, school string) {
	raw := strings.TrimSpace(r.PostFormValue("url"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		p.message(w, http.StatusBadRequest, school, "Please give a reason", "Go back and say why you need this page: staff need a reason to unblock it.")
		return
	}
	if len(reason) > maxReason || len(raw) > maxURL {
		p.message(w, http.StatusBadRequest, school, "Too long", "Please keep your reason shorter and try again.")
		return
	}
	t, d, snap, err := p.decide(v, raw)
	if err != nil {
		p.message(w, http.StatusBadRequest, school, "Something went wrong", "The page's address could not be read.")
		return
	}
	switch {
	case d.Illegal:
		p.message(w, http.StatusForbidden, school, "This cannot be requested", "Illegal content is blocked for everyone and can never be unblocked.")
		return
	case d.Verdict == policy.Allow:
		p.message(w, http.StatusOK, school, "Already open", "This page is not blocked for you any more. Go back and try again.")
		return
	case p.o.Requests == nil:
		p.message(w, http.StatusServiceUnavailable, school, "Not available", "Requests cannot be taken right now: please ask a member of staff.")
		return
	}
	id, err := p.o.Requests.CreateRequest(r.Context(), Request{
		User: v.User, Client: v.Client, Groups: snap.GroupNames(v.Groups), URL: raw, Host: t.Host,
		Categories: snap.CategoryNames(&d), Rule: snap.Rule(&d), Reason: reason,
		Ref: r.PostFormValue("ref"), At: p.o.Now(),
	})
	if err != nil {
		p.o.Log.Error("pages: request not stored", "err", err)
		p.message(w, http.StatusServiceUnavailable, school, "Not sent", "Your request could not be saved: please ask a member of staff.")
		return
	}
	p.logAction(snap, v, &d, t.Host, raw, "request")
	p.message(w, http.StatusOK, school, "Request sent", "Thank you. Your request is number "+strconv.FormatInt(id, 10)+". A member of staff will look at it and the page will open if they agree.")
}

func (p *Pages) reportConcern(w http.ResponseWriter, r *http.Request, v Visitor, school string) {
	kind := r.PostFormValue("kind")
	switch kind {
	case "got-through", "should-block", "other":
	default:
		kind = "other"
	}
	raw := strings.TrimSpace(r.PostFormValue("url"))
	details := strings.TrimSpace(r.PostFormValue("details"))
	if details == "" {
		p.message(w, http.StatusBadRequest, school, "Please tell us more", "Go back and say what happened, so staff can help.")
		return
	}
	if len(details) > maxDetails || len(raw) > maxURL {
		p.message(w, http.StatusBadRequest, school, "Too long", "Please keep it shorter and try again.")
		return
	}
	if p.o.Concerns == nil {
		p.message(w, http.StatusServiceUnavailable, school, "Not available", "Concerns cannot be taken right now: please tell a member of staff.")
		return
	}
	snap := p.o.Engine.Snapshot()
	var host string
	d := policy.Decision{Category: -1}
	if raw != "" {
		if t, dd, s, err := p.decide(v, raw); err == nil {
			host, d, snap = t.Host, dd, s
		}
	}
	stored := raw
	if d.Illegal {
		stored = ""
	}
	id, err := p.o.Concerns.CreateConcern(r.Context(), Concern{
		User: v.User, Client: v.Client, URL: stored, Kind: kind, Details: details,
		Ref: r.PostFormValue("ref"), At: p.o.Now(),
	})
	if err != nil {
		p.o.Log.Error("pages: concern not stored", "err", err)
		p.message(w, http.StatusServiceUnavailable, school, "Not sent", "Your report could not be saved: please tell a member of staff.")
		return
	}
	p.logAction(snap, v, &d, host, stored, "concern")
	p.message(w, http.StatusOK, school, "Thank you for telling us", "Your report is number "+strconv.FormatInt(id, 10)+". A member of staff will read it. If you are upset or worried, talk to a trusted adult now.")
}

func (p *Pages) continueTo(w http.ResponseWriter, r *http.Request, v Visitor, school string) {
	raw := strings.TrimSpace(r.PostFormValue("url"))
	t, d, snap, err := p.decide(v, raw)
	if err != nil || !isWebURL(raw) {
		p.message(w, http.StatusBadRequest, school, "Something went wrong", "The page's address could not be read.")
		return
	}
	if d.Verdict == policy.Block {
		p.message(w, http.StatusForbidden, school, "This page is blocked", "This page cannot be opened with Continue.")
		return
	}
	if d.Verdict == policy.Warn {
		warnFor := snap.Config().Proxy.WarnFor.D()
		until := p.o.Now().Add(warnFor)
		p.mu.Lock()
		p.rememberContinue(v.subject()+"\x00"+t.Host, until, p.o.Now())
		p.mu.Unlock()
		if (v.User != "" || v.Client.IsValid()) && p.o.Continues != nil {
			if err := p.o.Continues.RecordContinue(r.Context(), v.User, v.Client, t.Host, raw, until); err != nil {
				p.o.Log.Error("pages: continue not stored", "err", err)
			}
		}
		p.logAction(snap, v, &d, t.Host, raw, "continue")
	}
	http.Redirect(w, r, raw, http.StatusSeeOther)
}

// Continued reports whether v clicked Continue for host (or a parent
// domain of it) within proxy.warn_for.
func (p *Pages) Continued(v Visitor, host string, now time.Time) bool {
	s := v.subject() + "\x00"
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.continued) == 0 {
		return false
	}
	for h := host; h != ""; {
		if until, ok := p.continued[s+h]; ok && now.Before(until) {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return false
}

func (p *Pages) sweepContinued(now time.Time) {
	for k, until := range p.continued {
		if !now.Before(until) {
			delete(p.continued, k)
		}
	}
}

// isWebURL accepts the http and https URLs a redirect may go to.
func isWebURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
