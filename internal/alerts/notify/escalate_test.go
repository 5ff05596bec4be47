package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memSource is an in-memory escalation source: the store's part.
type memSource struct {
	mu     sync.Mutex
	alerts map[int64]*Pending
	marks  []string // "id step to"
}

func (s *memSource) UnacknowledgedAlerts(_ context.Context, site string, now time.Time) ([]Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Pending
	for _, p := range s.alerts {
		if p.Site == site && !p.RaisedAt.After(now) {
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b Pending) int { return int(a.ID - b.ID) })
	return out, nil
}

func (s *memSource) MarkAlertEscalated(_ context.Context, id int64, step int, to []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts[id].EscalationStep = step
	s.marks = append(s.marks, fmt.Sprintf("%d %d %s", id, step, strings.Join(to, ",")))
	return nil
}

func (s *memSource) ack(id int64) {
	s.mu.Lock()
	delete(s.alerts, id)
	s.mu.Unlock()
}

func (s *memSource) markList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.marks)
}

// TestEscalation: an alert nobody acknowledges goes to the escalation
// contacts in list order, one step per escalate_after on the injected
// clock, and stops once acknowledged.
func TestEscalation(t *testing.T) {
	mp := startMailpit(t, false)
	c := parsePolicy(t, policyHead+`alerts:
  console_url: https://console.school.example
  smtp: {address: "`+mp.smtp+`", from: schoolgate@school.example, starttls: false}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [4, 5]}
    - {name: Ben Cole, email: deputy@school.example, escalation: true}
    - {name: Cara Lee, email: ks1@school.example, escalation: true, groups: [ks1]}
    - {name: Head Teacher, email: head@school.example, escalation: true}
    - {name: Chair, email: chair@school.example, escalation: true}
`)
	clock := &fakeClock{t: monday10}
	audit := &auditLog{}
	d := newDispatcher(t, c, Options{Now: clock.Now, Audit: audit.hook})
	src := &memSource{alerts: map[int64]*Pending{
		5: {ID: 5, Site: "greenfield-primary", Severity: 5, Rule: "illegal", Title: "Illegal content", Group: "ks2", RaisedAt: monday10, EscalateAfter: 15 * time.Minute},
		6: {ID: 6, Site: "another-school", Severity: 5, Title: "Theirs", Group: "ks2", RaisedAt: monday10, EscalateAfter: time.Minute},
	}}
	d.Raised(context.Background(), Alert{ID: 5, Site: "greenfield-primary", Severity: 5, Title: "Illegal content", Group: "ks2", At: monday10, EscalateAfter: 15 * time.Minute})
	mp.waitMessages(t, 1)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.RunEscalation(ctx, src, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	settle := func() { time.Sleep(60 * time.Millisecond) } // a dozen ticks

	clock.Set(monday10.Add(14 * time.Minute))
	settle()
	if m := src.markList(); len(m) != 0 {
		t.Fatalf("escalated before escalate_after: %q", m)
	}

	clock.Set(monday10.Add(15 * time.Minute)) // step 1: Ben (Cara takes only ks1)
	msgs := mp.waitMessages(t, 2)
	if to := msgs[1].To[0].Address; to != "deputy@school.example" || msgs[1].Subject != "Schoolgate alert not acknowledged: severity 5: Illegal content" ||
		!strings.Contains(msgs[1].Text, "You are escalation contact 1.") {
		t.Errorf("step 1 to %s: %q\n%s", to, msgs[1].Subject, msgs[1].Text)
	}
	clock.Set(monday10.Add(29 * time.Minute))
	settle()
	if m := src.markList(); !slices.Equal(m, []string{"5 1 deputy@school.example"}) {
		t.Fatalf("marks after step 1: %q", m)
	}

	clock.Set(monday10.Add(30 * time.Minute)) // step 2: the head
	msgs = mp.waitMessages(t, 3)
	if to := msgs[2].To[0].Address; to != "head@school.example" {
		t.Errorf("step 2 to %s", to)
	}

	src.ack(5)
	clock.Set(monday10.Add(3 * time.Hour))
	settle()
	mp.waitMessages(t, 3) // the chair is never told
	if m := src.markList(); !slices.Equal(m, []string{"5 1 deputy@school.example", "5 2 head@school.example"}) {
		t.Errorf("marks %q", m)
	}
	if got := audit.wait(t, 3); len(got) != 3 || !slices.Contains(got, "alert.notify.sent 5 email:head@school.example") {
		t.Errorf("audit %q", got)
	}
}

// TestEscalationHours: an escalation contact off duty is passed over for
// the next one who is on duty; when nobody is, the next in the list is
// told all the same; the list runs out.
func TestEscalationHours(t *testing.T) {
	c := parsePolicy(t, policyHead+`alerts:
  webhooks:
    - {name: ben, url: "http://127.0.0.1:9/", secret_env: S}
    - {name: head, url: "http://127.0.0.1:9/", secret_env: S}
  contacts:
    - {name: Ben Cole, webhook: ben, escalation: true, hours: "Mon-Fri 08:00-18:00"}
    - {name: Head Teacher, webhook: head, escalation: true, hours: "Mon-Fri 08:00-18:00", out_of_hours: true}
`)
	d := newDispatcher(t, c, Options{Getenv: func(string) string { return "k" }, Attempts: 1})
	src := &memSource{alerts: map[int64]*Pending{
		1: {ID: 1, Site: "greenfield-primary", Severity: 5, Group: "ks2", RaisedAt: monday10.Add(-10 * time.Hour), EscalateAfter: time.Hour},
	}}
	ctx := context.Background()
	for _, at := range []time.Time{monday10.Add(10 * time.Hour), monday10.Add(11 * time.Hour), monday10.Add(12 * time.Hour)} {
		if err := d.escalate(ctx, src, at); err != nil {
			t.Fatal(err)
		}
	}
	// At 20:00 Ben is off duty: step 1 is skipped for the head (step 2),
	// and the list is then spent.
	if m := src.markList(); !slices.Equal(m, []string{"1 2 webhook:head"}) {
		t.Errorf("marks %q", m)
	}

	src = &memSource{alerts: map[int64]*Pending{
		2: {ID: 2, Site: "greenfield-primary", Severity: 5, Group: "ks2", RaisedAt: monday10.Add(-time.Hour), EscalateAfter: 30 * time.Minute},
	}}
	// At 10:00 Ben is on duty (step 1); the head is off duty but is the
	// only one left, so is told at step 2.
	for range 3 {
		if err := d.escalate(ctx, src, monday10); err != nil {
			t.Fatal(err)
		}
	}
	if m := src.markList(); !slices.Equal(m, []string{"2 1 webhook:ben", "2 2 webhook:head"}) {
		t.Errorf("marks %q", m)
	}
}
