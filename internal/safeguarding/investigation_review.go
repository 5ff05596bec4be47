package safeguarding

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // screenshots: GIF
	_ "image/jpeg" // screenshots: JPEG
	_ "image/png"  // screenshots: PNG
	"net/http"
	"net/url"
	"strings"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// siteHost is the host of an address as a reviewer types it
// ("https://x.example/a", "x.example/a", "x.example"), and its path; ""
// for a device ("ICT suite laptop 12").
func siteHost(address string) (host, path string) {
	a := strings.TrimSpace(address)
	if !strings.Contains(a, "://") {
		if strings.ContainsAny(a, " \t") || !strings.Contains(a, ".") {
			return "", ""
		}
		a = "http://" + a
	}
	u, err := url.Parse(a)
	if err != nil {
		return "", ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), u.EscapedPath()
}

// AddSite records a web site address or device with the reason for
// concern. A police reason, or a host the running policy puts in an
// illegal category, stops the review for good.
func (s *Investigations) AddSite(ctx context.Context, a Actor, id int64, address, concernKind, concern string) (store.InvestigationSite, error) {
	address, concern = strings.TrimSpace(address), strings.TrimSpace(concern)
	reason, ok := investigationReason(s.reasons(), concernKind)
	switch {
	case address == "":
		return store.InvestigationSite{}, fmt.Errorf("%w: address: give the web site address or the device", ErrInvalid)
	case !ok:
		return store.InvestigationSite{}, fmt.Errorf("%w: concern_kind: choose the kind of concern", ErrInvalid)
	case concern == "":
		return store.InvestigationSite{}, fmt.Errorf("%w: concern: describe the reason for concern", ErrInvalid)
	}
	if _, _, err := s.load(ctx, a, id); err != nil {
		return store.InvestigationSite{}, err
	}
	e := store.InvestigationSite{Address: address, ConcernKind: reason.Name, Concern: concern, Police: reason.Police}
	why := "Reason for concern: " + reason.Title
	if host, path := siteHost(address); host != "" {
		// Fail safe: without the policy nobody can say the host is not
		// illegal, so nothing is added.
		snap := s.snap()
		if snap == nil {
			return store.InvestigationSite{}, fmt.Errorf("address: cannot check it against the filtering policy: %w", ErrNoPolicy)
		}
		if d := snap.Decide(&policy.Query{Host: host, Path: path, At: s.now()}); d.Illegal {
			e.Police, why = true, "The site is in an illegal category of the filtering policy"
		}
	}
	return s.st.AddInvestigationSite(ctx, a.storeActor(), a.Site, id, e, why)
}

// maxScreenshotPixels bounds a screenshot's decoded size (a few bytes of
// PNG can claim a huge image).
const maxScreenshotPixels = 32 << 20

// screenshotType is the image type of b, read from its bytes and decoded
// in full to know it is an image: PNG, JPEG or GIF.
func screenshotType(b []byte) (string, bool) {
	mime := http.DetectContentType(b)
	switch mime {
	case "image/png", "image/jpeg", "image/gif":
	default:
		return "", false
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxScreenshotPixels {
		return "", false
	}
	if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
		return "", false
	}
	return mime, true
}

// AttachScreenshot stores a screenshot for a site entry in the database:
// its bytes, SHA-256, type and size, who and when. Refused once the review
// is stopped.
func (s *Investigations) AttachScreenshot(ctx context.Context, a Actor, id, entry int64, content []byte) (store.Screenshot, error) {
	if len(content) > MaxScreenshotBytes {
		return store.Screenshot{}, fmt.Errorf("%w: screenshot: larger than %d MiB", ErrInvalid, MaxScreenshotBytes>>20)
	}
	mime, ok := screenshotType(content)
	if !ok {
		return store.Screenshot{}, fmt.Errorf("%w: screenshot: not a PNG, JPEG or GIF image", ErrInvalid)
	}
	inv, _, err := s.load(ctx, a, id)
	if err != nil {
		return store.Screenshot{}, err
	}
	if inv.Stopped() {
		return store.Screenshot{}, fmt.Errorf("investigation %d: %w: no screenshots", id, ErrReviewStopped)
	}
	return s.st.AddInvestigationScreenshot(ctx, a.storeActor(), a.Site, id, entry, mime, content)
}

// Screenshot returns one screenshot's bytes; the view is audited. None is
// shown once the review is stopped.
func (s *Investigations) Screenshot(ctx context.Context, a Actor, id, shot int64) (store.Screenshot, error) {
	if _, _, err := s.load(ctx, a, id); err != nil {
		return store.Screenshot{}, err
	}
	return s.st.InvestigationScreenshot(ctx, a.storeActor(), a.Site, id, shot)
}

// Sign records a's signature as a reviewer: secret is their password or
// a current TOTP code, checked now. A wrong one is refused and the
// attempt audited; the same person cannot sign twice, nor a third.
func (s *Investigations) Sign(ctx context.Context, a Actor, id int64, position, secret string) (store.Signature, error) {
	position = strings.TrimSpace(position)
	if position == "" {
		return store.Signature{}, fmt.Errorf("%w: position: give your position (e.g. designated safeguarding lead)", ErrInvalid)
	}
	inv, _, err := s.load(ctx, a, id)
	if err != nil {
		return store.Signature{}, err
	}
	for _, sg := range inv.Signatures {
		if sg.Username == a.Username {
			return store.Signature{}, fmt.Errorf("%q %w", a.Username, ErrAlreadySigned)
		}
	}
	if s.verify == nil {
		return store.Signature{}, fmt.Errorf("%w: no way to check a signature", ErrInvalid)
	}
	method, err := s.verify.Reconfirm(ctx, a.Username, secret, a.Address)
	if errors.Is(err, ErrBadSignature) {
		if aerr := s.st.Audit(ctx, a.storeActor(), "investigation.sign.fail", "investigation:"+fmt.Sprint(id), nil, nil); aerr != nil {
			return store.Signature{}, aerr
		}
		return store.Signature{}, fmt.Errorf("secret: %w", err)
	}
	if err != nil {
		return store.Signature{}, err
	}
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	sg, err := s.st.SignInvestigation(ctx, a.storeActor(), a.Site, id, store.Signature{Username: a.Username, Name: name, Position: position, Method: method, Address: a.Address})
	if errors.Is(err, store.ErrExists) {
		return store.Signature{}, fmt.Errorf("%q %w", a.Username, ErrAlreadySigned)
	}
	return sg, err
}

// RecordReferral records that the matter was referred: to whom, the
// reference given, when; by a, now. It is also a referral entry on the
// incident.
func (s *Investigations) RecordReferral(ctx context.Context, a Actor, id int64, to, reference string, when time.Time) (store.Referral, error) {
	to, reference = strings.TrimSpace(to), strings.TrimSpace(reference)
	switch {
	case to == "":
		return store.Referral{}, fmt.Errorf("%w: to: say who it was referred to", ErrInvalid)
	case when.IsZero():
		return store.Referral{}, fmt.Errorf("%w: when: say when it was referred", ErrInvalid)
	case when.After(s.now().Add(5 * time.Minute)):
		return store.Referral{}, fmt.Errorf("%w: when: %s is in the future", ErrInvalid, when.Format(time.RFC3339))
	}
	if _, _, err := s.load(ctx, a, id); err != nil {
		return store.Referral{}, err
	}
	return s.st.RecordInvestigationReferral(ctx, a.storeActor(), a.Site, id, store.Referral{To: to, Reference: reference, ReferredAt: when})
}

// Conclude freezes the record with the conclusion and the action
// proposed or taken. Only a reviewer who signed concludes, and only once
// two different people have signed; the investigators' browsing is
// copied into the record so that retention never removes it.
func (s *Investigations) Conclude(ctx context.Context, a Actor, id int64, conclusion, action string) error {
	conclusion, action = strings.TrimSpace(conclusion), strings.TrimSpace(action)
	switch {
	case conclusion == "":
		return fmt.Errorf("%w: conclusion: write the group's conclusion", ErrInvalid)
	case action == "":
		return fmt.Errorf("%w: action: write the action proposed or taken", ErrInvalid)
	}
	inv, _, err := s.load(ctx, a, id)
	if err != nil {
		return err
	}
	if len(inv.Signatures) < 2 {
		return fmt.Errorf("investigation %d has %d signature(s): %w", id, len(inv.Signatures), ErrNotSigned)
	}
	if !(InvestigationView{Investigation: inv}).Signed(a.Username) {
		return fmt.Errorf("%w: only one of the two reviewers who signed concludes the record", ErrInvalid)
	}
	browsing, err := s.browsing(ctx, a, inv, s.now())
	if err != nil {
		return err
	}
	return s.st.ConcludeInvestigation(ctx, a.storeActor(), a.Site, id, conclusion, action, browsing)
}
