package safeguarding

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/netip"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// investigationFixture adds what investigations need to the fixture: an
// esafety-lead, passwords for the reviewers, the dsl's second factor, and
// an Investigations whose signatures are checked by the real Reconfirmer
// against the store's directory (argon2id hashes, TOTP steps).
type investigationFixture struct {
	*fixture
	inv     *Investigations
	totp    string // ms.dsl's TOTP secret
	dslPass string
}

func newInvestigationFixture(t *testing.T, f *fixture) *investigationFixture {
	t.Helper()
	ctx := context.Background()
	admin := store.Actor{Name: "office"}
	if err := f.st.CreateUser(ctx, admin, identity.User{Username: "e.lead", DisplayName: "Eve Lead", Roles: []identity.Role{identity.RoleESafetyLead}}, ""); err != nil {
		t.Fatal(err)
	}
	for name, pw := range map[string]string{"ms.dsl": "dsl pass phrase 1", "head": "head pass phrase 2", "e.lead": "lead pass phrase 3"} {
		h, err := identity.HashPassword(pw, identity.DefaultHashParams())
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.SetPassword(ctx, admin, name, h); err != nil {
			t.Fatal(err)
		}
	}
	secret := identity.NewTOTPSecret()
	if err := f.st.EnrolConsoleTOTP(ctx, admin, "ms.dsl", secret, 0, nil); err != nil {
		t.Fatal(err)
	}
	inv := NewInvestigations(InvestigationsOptions{Store: f.st, Snapshot: func() *policy.Snapshot { return f.snap },
		Verify: Reconfirmer{Passwords: f.dir, TOTP: f.st}})
	return &investigationFixture{fixture: f, inv: inv, totp: secret, dslPass: "dsl pass phrase 1"}
}

func (f *investigationFixture) incident(t *testing.T, people ...string) store.Incident {
	t.Helper()
	in, err := f.incidents().Record(context.Background(), f.actor(t, "mr.teach"), NewIncident{OccurredAt: time.Now().Add(-time.Hour), Category: "pornography",
		Summary: "Searched for adult material in ICT", People: people})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

var openForm = OpenInvestigation{Group: "Online safety group", ReasonKind: "inappropriate-content", Reason: "Adult searches reported by the class teacher",
	ComputerName: "SAFEGUARD-01", ComputerLocation: "DSL office, room 12"}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func auditActions(t *testing.T, st *store.Store, prefix string) []store.AuditRecord {
	t.Helper()
	recs, err := st.ListAudit(context.Background(), store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditRecord
	for _, r := range recs {
		if strings.HasPrefix(r.Action, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// TestInvestigationTwoReviewers: the dsl opens the record from a pupil
// incident (which goes under investigation), adds a site with a
// screenshot (checksummed, each view audited), signs with a TOTP code;
// one signature cannot conclude, the same person cannot sign twice, a
// wrong password is refused; the head signs with their password and the
// record is concluded and frozen.
func TestInvestigationTwoReviewers(t *testing.T) {
	backends(t, func(t *testing.T, base *fixture) {
		f := newInvestigationFixture(t, base)
		ctx := context.Background()
		dsl, head := f.actor(t, "ms.dsl"), f.actor(t, "head")
		dsl.Address, head.Address = "192.0.2.10", "192.0.2.11"
		in := f.incident(t, "jsmith")

		// Bad input names the field.
		for field, bad := range map[string]OpenInvestigation{
			"computer_name":     {Group: "g", ReasonKind: "misuse", Reason: "r", ComputerLocation: "x"},
			"computer_location": {Group: "g", ReasonKind: "misuse", Reason: "r", ComputerName: "x"},
			"reason_kind":       {Group: "g", ReasonKind: "nope", Reason: "r", ComputerName: "x", ComputerLocation: "y"},
			"date":              {Group: "g", ReasonKind: "misuse", Reason: "r", ComputerName: "x", ComputerLocation: "y", Date: "1/2/26"},
		} {
			if _, err := f.inv.Open(ctx, dsl, in.ID, bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), field) {
				t.Errorf("%s: %v", field, err)
			}
		}
		// A teacher or technician does not investigate.
		for _, who := range []string{"mr.teach", "tech"} {
			if _, err := f.inv.Open(ctx, f.actor(t, who), in.ID, openForm); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s opens: %v", who, err)
			}
		}
		rec, err := f.inv.Open(ctx, dsl, in.ID, openForm)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != store.InvestigationOpen || rec.Site != "school" || rec.ComputerName != "SAFEGUARD-01" || rec.Date == "" {
			t.Fatalf("opened: %+v", rec)
		}
		if got, _ := f.st.GetIncident(ctx, "school", in.ID); got.Status != store.IncidentInvestigating {
			t.Fatalf("incident status %q, want %q", got.Status, store.IncidentInvestigating)
		}
		if _, err := f.inv.Open(ctx, head, in.ID, openForm); !errors.Is(err, store.ErrExists) {
			t.Errorf("second investigation of one incident: %v", err)
		}
		// Another site sees nothing.
		other := dsl
		other.Site = "other-school"
		if _, err := f.inv.Get(ctx, other, rec.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another site reads: %v", err)
		}

		entry, err := f.inv.AddSite(ctx, dsl, rec.ID, "https://adult.example/gallery", "inappropriate-content", "Pornographic images")
		if err != nil || entry.Police {
			t.Fatalf("add site: %+v %v", entry, err)
		}
		img := pngBytes(t)
		if _, err := f.inv.AttachScreenshot(ctx, dsl, rec.ID, entry.ID, []byte("GIF89a not really")); !errors.Is(err, ErrInvalid) {
			t.Errorf("not an image: %v", err)
		}
		if _, err := f.inv.AttachScreenshot(ctx, dsl, rec.ID, entry.ID, append(img, make([]byte, MaxScreenshotBytes)...)); !errors.Is(err, ErrInvalid) {
			t.Errorf("too large: %v", err)
		}
		shot, err := f.inv.AttachScreenshot(ctx, dsl, rec.ID, entry.ID, img)
		if err != nil {
			t.Fatal(err)
		}
		if shot.MIME != "image/png" || shot.Size != int64(len(img)) || len(shot.SHA256) != 64 {
			t.Fatalf("screenshot: %+v", shot)
		}
		got, err := f.inv.Screenshot(ctx, head, rec.ID, shot.ID)
		if err != nil || !bytes.Equal(got.Content, img) || got.SHA256 != shot.SHA256 {
			t.Fatalf("screenshot read back: %v", err)
		}
		if views := auditActions(t, f.st, "investigation.screenshot.view"); len(views) != 1 || views[0].Actor != "head" || !strings.Contains(views[0].After, shot.SHA256) {
			t.Fatalf("screenshot views audited: %+v", views)
		}

		// The dsl signs with a TOTP code.
		code, err := identity.TOTPCodeAt(f.totp, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.inv.Sign(ctx, dsl, rec.ID, "", code); !errors.Is(err, ErrInvalid) {
			t.Errorf("no position: %v", err)
		}
		sg, err := f.inv.Sign(ctx, dsl, rec.ID, "Designated safeguarding lead", code)
		if err != nil || sg.Method != "totp" || sg.Address != "192.0.2.10" {
			t.Fatalf("dsl signs: %+v %v", sg, err)
		}
		// One signature cannot conclude, and the same person cannot sign
		// twice (with their password either).
		if err := f.inv.Conclude(ctx, dsl, rec.ID, "Substance", "Parents informed"); !errors.Is(err, ErrNotSigned) {
			t.Errorf("one signature concludes: %v", err)
		}
		if _, err := f.inv.Sign(ctx, dsl, rec.ID, "DSL", f.dslPass); !errors.Is(err, ErrAlreadySigned) {
			t.Errorf("same signer twice: %v", err)
		}
		// A wrong password or a replayed code is refused, and audited.
		if _, err := f.inv.Sign(ctx, head, rec.ID, "Headteacher", "not my password"); !errors.Is(err, ErrBadSignature) {
			t.Errorf("wrong password: %v", err)
		}
		if _, err := f.inv.Sign(ctx, head, rec.ID, "Headteacher", code); !errors.Is(err, ErrBadSignature) {
			t.Errorf("someone else's code: %v", err)
		}
		if fails := auditActions(t, f.st, "investigation.sign.fail"); len(fails) != 2 {
			t.Errorf("failed signatures audited: %d", len(fails))
		}
		sg2, err := f.inv.Sign(ctx, head, rec.ID, "Headteacher", "head pass phrase 2")
		if err != nil || sg2.Method != "password" {
			t.Fatalf("head signs: %+v %v", sg2, err)
		}
		signs := auditActions(t, f.st, "investigation.sign")
		if len(signs) != 4 || !strings.Contains(signs[0].After, `"address":"192.0.2.10"`) || !strings.Contains(signs[0].After, "signed_at") {
			t.Errorf("signatures in the audit chain: %+v", signs)
		}
		// A third person cannot sign; someone who did not sign cannot conclude.
		elead := f.actor(t, "e.lead")
		if _, err := f.inv.Sign(ctx, elead, rec.ID, "E-safety lead", "lead pass phrase 3"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("third signature: %v", err)
		}
		if err := f.inv.Conclude(ctx, elead, rec.ID, "Substance", "Parents informed"); !errors.Is(err, ErrInvalid) {
			t.Errorf("non-signer concludes: %v", err)
		}
		if err := f.inv.Conclude(ctx, head, rec.ID, "Concern has substance", "Parents informed; access suspended for a week"); err != nil {
			t.Fatal(err)
		}
		v, err := f.inv.Get(ctx, dsl, rec.ID)
		if err != nil || v.State != store.InvestigationConcluded || len(v.Signatures) != 2 || v.ConcludedBy != "head" {
			t.Fatalf("concluded: %+v %v", v.Investigation, err)
		}
		// Frozen.
		if _, err := f.inv.AddSite(ctx, dsl, rec.ID, "games.example", "misuse", "x"); !errors.Is(err, ErrConcluded) {
			t.Errorf("site after conclusion: %v", err)
		}
		if err := f.inv.Conclude(ctx, head, rec.ID, "again", "again"); !errors.Is(err, ErrConcluded) {
			t.Errorf("concluded twice: %v", err)
		}
		if res, err := f.st.VerifyAudit(ctx, ""); err != nil || !res.OK() {
			t.Errorf("audit chain: %+v %v", res, err)
		}
	})
}

// TestInvestigationStaffIncident: an esafety-lead investigates pupils
// only.
func TestInvestigationStaffIncident(t *testing.T) {
	backends(t, func(t *testing.T, base *fixture) {
		f := newInvestigationFixture(t, base)
		ctx := context.Background()
		staffInc := f.incident(t, "tech")
		pupilInc := f.incident(t, "amy")
		elead := f.actor(t, "e.lead")
		if _, err := f.inv.Open(ctx, elead, staffInc.ID, openForm); !errors.Is(err, ErrForbidden) {
			t.Fatalf("esafety-lead opens a staff incident's investigation: %v", err)
		}
		if _, err := f.inv.Open(ctx, elead, pupilInc.ID, openForm); err != nil {
			t.Fatalf("esafety-lead on a pupil incident: %v", err)
		}
		rec, err := f.inv.Open(ctx, f.actor(t, "head"), staffInc.ID, openForm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.inv.Get(ctx, elead, rec.ID); !errors.Is(err, ErrForbidden) {
			t.Errorf("esafety-lead reads the staff investigation: %v", err)
		}
		if _, err := f.inv.Sign(ctx, elead, rec.ID, "E-safety lead", "lead pass phrase 3"); !errors.Is(err, ErrForbidden) {
			t.Errorf("esafety-lead signs the staff investigation: %v", err)
		}
	})
}

// TestInvestigationIllegalPath: a site in an illegal category of the
// running policy, or the reason "possible child sexual abuse material",
// stops the review: no screenshots, no viewing, nothing re-opens it; the
// referral is recorded on the record and on the incident, and only then
// can the record be concluded.
func TestInvestigationIllegalPath(t *testing.T) {
	backends(t, func(t *testing.T, base *fixture) {
		f := newInvestigationFixture(t, base)
		ctx := context.Background()
		dsl, head := f.actor(t, "ms.dsl"), f.actor(t, "head")

		// A host of the illegal category, though the reviewer chose an
		// ordinary reason.
		rec, err := f.inv.Open(ctx, dsl, f.incident(t, "jsmith").ID, openForm)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := f.inv.AddSite(ctx, dsl, rec.ID, "games.example", "misuse", "Games in lessons")
		if err != nil {
			t.Fatal(err)
		}
		shot, err := f.inv.AttachScreenshot(ctx, dsl, rec.ID, ok.ID, pngBytes(t))
		if err != nil {
			t.Fatal(err)
		}
		e, err := f.inv.AddSite(ctx, dsl, rec.ID, "http://www.abuse.example/x", "inappropriate-content", "Images")
		if err != nil || !e.Police {
			t.Fatalf("illegal host: %+v %v", e, err)
		}
		v, err := f.inv.Get(ctx, dsl, rec.ID)
		if err != nil || !v.Stopped() || v.State != store.InvestigationStopped || len(v.Steps) == 0 || !strings.Contains(v.StopReason, "illegal category") {
			t.Fatalf("stopped: %+v %v", v.Investigation, err)
		}
		if _, err := f.inv.AttachScreenshot(ctx, dsl, rec.ID, ok.ID, pngBytes(t)); !errors.Is(err, ErrReviewStopped) {
			t.Errorf("screenshot after the stop: %v", err)
		}
		if _, err := f.inv.Screenshot(ctx, dsl, rec.ID, shot.ID); !errors.Is(err, ErrReviewStopped) {
			t.Errorf("viewing a screenshot after the stop: %v", err)
		}
		if _, err := f.inv.AddSite(ctx, dsl, rec.ID, "games.example", "misuse", "more"); !errors.Is(err, ErrReviewStopped) {
			t.Errorf("a site after the stop: %v", err)
		}
		// The reason itself, at the start.
		rec2, err := f.inv.Open(ctx, dsl, f.incident(t, "amy").ID, OpenInvestigation{Group: "Online safety group", ReasonKind: "child-sexual-abuse-material",
			Reason: "A pupil reported images", ComputerName: "SAFEGUARD-01", ComputerLocation: "DSL office"})
		if err != nil || !rec2.Stopped() {
			t.Fatalf("opened on a police reason: %+v %v", rec2, err)
		}
		if _, err := f.inv.AddSite(ctx, dsl, rec2.ID, "ICT suite laptop 4", "other", "the laptop"); !errors.Is(err, ErrReviewStopped) {
			t.Errorf("a device after the stop: %v", err)
		}
		// Both sign; concluding needs the referral first.
		code, _ := identity.TOTPCodeAt(f.totp, time.Now())
		if _, err := f.inv.Sign(ctx, dsl, rec2.ID, "DSL", code); err != nil {
			t.Fatal(err)
		}
		if _, err := f.inv.Sign(ctx, head, rec2.ID, "Headteacher", "head pass phrase 2"); err != nil {
			t.Fatal(err)
		}
		if err := f.inv.Conclude(ctx, head, rec2.ID, "Referred", "Police"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("concluded a stopped review without a referral: %v", err)
		}
		when := time.Now().Add(-10 * time.Minute)
		if _, err := f.inv.RecordReferral(ctx, dsl, rec2.ID, "", "x", when); !errors.Is(err, ErrInvalid) {
			t.Errorf("referral to nobody: %v", err)
		}
		r, err := f.inv.RecordReferral(ctx, dsl, rec2.ID, "Police (101)", "CAD 1234/02", when)
		if err != nil || r.RecordedBy != "ms.dsl" {
			t.Fatalf("referral: %+v %v", r, err)
		}
		entries, err := f.st.IncidentEntries(ctx, "school", rec2.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		if last := entries[len(entries)-1]; last.Kind != EntryReferral || last.Text != "Police (101)" || !strings.Contains(last.Data, "CAD 1234/02") {
			t.Errorf("incident's referral entry: %+v", last)
		}
		if err := f.inv.Conclude(ctx, head, rec2.ID, "Referred to the police", "Police investigating; computer isolated"); err != nil {
			t.Fatal(err)
		}
		v, _ = f.inv.Get(ctx, dsl, rec2.ID)
		if !v.Stopped() || v.State != store.InvestigationConcluded {
			t.Errorf("a concluded stopped record stays stopped: %+v", v.Investigation)
		}
	})
}

// TestInvestigationBrowsingLinked: the investigators' own browsing from
// the start of the review (the activity log's user field) is shown on the
// record, and copied into it at conclusion; other people's is not.
func TestInvestigationBrowsingLinked(t *testing.T) {
	backends(t, func(t *testing.T, base *fixture) {
		f := newInvestigationFixture(t, base)
		ctx := context.Background()
		dsl, head := f.actor(t, "ms.dsl"), f.actor(t, "head")
		before := time.Now().Add(-time.Minute)
		rec, err := f.inv.Open(ctx, dsl, f.incident(t, "jsmith").ID, openForm)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		client := netip.MustParseAddr("10.10.0.5")
		if err := f.st.InsertEvents(ctx, []activity.Event{
			{Time: before, Client: client, User: "ms.dsl", Host: "before.example", Verdict: "allow"},
			{Time: at, Client: client, User: "ms.dsl", Host: "adult.example", URL: "https://adult.example/gallery", Verdict: "allow", Categories: []string{"adult"}},
			{Time: at.Add(time.Millisecond), Client: client, User: "jsmith", Host: "pupil.example", Verdict: "allow"},
			{Time: at.Add(2 * time.Millisecond), Client: netip.MustParseAddr("10.10.0.6"), User: "head", Host: "games.example", Verdict: "block"},
		}); err != nil {
			t.Fatal(err)
		}
		v, err := f.inv.Get(ctx, head, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The head has not signed yet: only the dsl's browsing, and only
		// since the start.
		if len(v.Browsing) != 1 || v.Browsing[0].Host != "adult.example" || v.Browsing[0].User != "ms.dsl" {
			t.Fatalf("live browsing: %+v", v.Browsing)
		}
		code, _ := identity.TOTPCodeAt(f.totp, time.Now())
		if _, err := f.inv.Sign(ctx, dsl, rec.ID, "DSL", code); err != nil {
			t.Fatal(err)
		}
		if _, err := f.inv.Sign(ctx, head, rec.ID, "Headteacher", "head pass phrase 2"); err != nil {
			t.Fatal(err)
		}
		if err := f.inv.Conclude(ctx, dsl, rec.ID, "No substance", "None"); err != nil {
			t.Fatal(err)
		}
		// Copied in: retention may now delete the events.
		stored, err := f.st.GetInvestigation(ctx, "school", rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, b := range stored.Browsing {
			hosts = append(hosts, b.User+"@"+b.Host)
		}
		if strings.Join(hosts, " ") != "ms.dsl@adult.example head@games.example" || stored.Browsing[0].Categories != "adult" || stored.Browsing[0].Client != "10.10.0.5" {
			t.Fatalf("copied browsing: %v %+v", hosts, stored.Browsing)
		}
	})
}

// TestInvestigationStopRace: screenshots attached while a police entry
// stops the review are either in before the stop or refused: no
// screenshot is committed after it (audit chain order is commit order).
func TestInvestigationStopRace(t *testing.T) {
	backends(t, func(t *testing.T, base *fixture) {
		f := newInvestigationFixture(t, base)
		ctx := context.Background()
		dsl := f.actor(t, "ms.dsl")
		rec, err := f.inv.Open(ctx, dsl, f.incident(t, "jsmith").ID, openForm)
		if err != nil {
			t.Fatal(err)
		}
		e, err := f.inv.AddSite(ctx, dsl, rec.ID, "games.example", "misuse", "Games")
		if err != nil {
			t.Fatal(err)
		}
		img := pngBytes(t)
		errs := make(chan error, 9)
		for i := 0; i < 8; i++ {
			go func() { _, err := f.inv.AttachScreenshot(ctx, dsl, rec.ID, e.ID, img); errs <- err }()
		}
		go func() {
			_, err := f.inv.AddSite(ctx, dsl, rec.ID, "abuse.example", "inappropriate-content", "Images")
			errs <- err
		}()
		for i := 0; i < 9; i++ {
			if err := <-errs; err != nil && !errors.Is(err, ErrReviewStopped) {
				t.Errorf("racing: %v", err)
			}
		}
		recs := auditActions(t, f.st, "investigation.")
		stopAt := -1
		for i, r := range recs {
			switch r.Action {
			case "investigation.stop":
				stopAt = i
			case "investigation.screenshot":
				if stopAt >= 0 {
					t.Errorf("a screenshot committed after the stop: %+v", r)
				}
			}
		}
		if stopAt < 0 {
			t.Fatal("the review was not stopped")
		}
	})
}
