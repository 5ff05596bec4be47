package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPolicyVersions(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		c := newClock()
		s := open(c.Now)
		by := Actor{Name: "it-lead", From: "cli@test"}
		video := []byte("youtube.com\nvimeo.com\n")
		big := []byte(strings.Repeat("example-host.com\n", 5000))

		if id, err := s.PolicyHead(ctx, "school-a"); err != nil || id != 0 {
			t.Fatalf("empty head = %d, %v; want 0", id, err)
		}
		if _, err := s.LatestPolicy(ctx, PolicyTrust, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("latest of nothing: %v, want ErrNotFound", err)
		}
		trust1, err := s.PushPolicy(ctx, by, PolicyVersion{Kind: PolicyTrust, Content: "site: {name: Trust}\n", Note: "first",
			Lists: []PolicyList{{Source: "lists/video.txt", Hash: BlobHash(video)}, {Source: "lists/big.txt", Hash: BlobHash(big)}}},
			map[string][]byte{BlobHash(video): video, BlobHash(big): big})
		if err != nil {
			t.Fatal(err)
		}
		if trust1.Site != "*" || trust1.CreatedBy != "it-lead" || trust1.ID == 0 {
			t.Fatalf("trust version = %+v", trust1)
		}
		c.Add(time.Minute)
		// A second version using the same list stores nothing new for it.
		school, err := s.PushPolicy(ctx, by, PolicyVersion{Kind: PolicySchool, Site: "school-a", Content: "extends: trust.yaml\n",
			Lists: []PolicyList{{Source: "lists/video.txt", Hash: BlobHash(video)}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var blobs int
		var stored int64
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), SUM(LENGTH(data)) FROM list_blobs`).Scan(&blobs, &stored); err != nil {
			t.Fatal(err)
		}
		if blobs != 2 {
			t.Fatalf("%d blobs stored, want 2 (one per distinct content)", blobs)
		}
		if stored >= int64(len(big)/10) {
			t.Fatalf("%d bytes stored for %d of lists: not compressed", stored, len(big)+len(video))
		}
		got, err := s.ListBlob(ctx, BlobHash(big))
		if err != nil || string(got) != string(big) {
			t.Fatalf("ListBlob = %d bytes, %v; want the content back", len(got), err)
		}
		// A list with no content given or stored is refused.
		missing := BlobHash([]byte("nowhere"))
		if _, err := s.PushPolicy(ctx, by, PolicyVersion{Kind: PolicyTrust, Content: "x: 1\n",
			Lists: []PolicyList{{Source: "lists/x.txt", Hash: missing}}}, nil); !errors.Is(err, ErrInvalid) {
			t.Fatalf("push with a list not stored: %v, want ErrInvalid", err)
		}
		// Content that does not match its hash is refused.
		if _, err := s.PushPolicy(ctx, by, PolicyVersion{Kind: PolicyTrust, Content: "x: 1\n",
			Lists: []PolicyList{{Source: "lists/x.txt", Hash: missing}}}, map[string][]byte{missing: []byte("other")}); !errors.Is(err, ErrBlobCorrupt) {
			t.Fatalf("push with a wrong hash: %v, want ErrBlobCorrupt", err)
		}
		if _, err := s.PushPolicy(ctx, by, PolicyVersion{Kind: PolicySchool, Content: "x: 1\n"}, nil); !errors.Is(err, ErrInvalid) {
			t.Fatalf("school push without a site: %v, want ErrInvalid", err)
		}

		head, err := s.PolicyHead(ctx, "school-a")
		if err != nil || head != school.ID {
			t.Fatalf("head of school-a = %d, %v; want %d", head, err, school.ID)
		}
		if head, _ := s.PolicyHead(ctx, "school-b"); head != trust1.ID {
			t.Fatalf("head of school-b = %d, want the trust's %d (school-a's version is not school-b's)", head, trust1.ID)
		}
		c.Add(time.Minute)
		trust2, err := s.PushPolicy(ctx, by, PolicyVersion{Kind: PolicyTrust, Content: "site: {name: Trust 2}\n"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(time.Minute)
		back, err := s.RollbackPolicy(ctx, Actor{Name: "tech", From: "console"}, trust1.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if back.ID <= trust2.ID || back.Content != trust1.Content || back.CopiedFrom != trust1.ID || len(back.Lists) != 2 || back.Kind != PolicyTrust {
			t.Fatalf("rollback = %+v, want a new trust version equal to %d", back, trust1.ID)
		}
		latest, err := s.LatestPolicy(ctx, PolicyTrust, "")
		if err != nil || latest.ID != back.ID {
			t.Fatalf("latest trust = %d, %v; want %d", latest.ID, err, back.ID)
		}
		if _, err := s.RollbackPolicy(ctx, by, 9999, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("rollback to nothing: %v", err)
		}
		hist, err := s.PolicyHistory(ctx, "school-b", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 3 || hist[0].ID != back.ID {
			t.Fatalf("school-b history: %d versions, want the trust's 3 newest first", len(hist))
		}
		all, _ := s.PolicyHistory(ctx, "", 2)
		if len(all) != 2 {
			t.Fatalf("history limit 2 gave %d", len(all))
		}
		sites, _ := s.PolicySites(ctx)
		if len(sites) != 1 || sites[0] != "school-a" {
			t.Fatalf("sites = %v", sites)
		}
		recs, err := s.ListAudit(ctx, AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action+" "+r.Object)
		}
		want := "policy.push policy:trust|policy.push policy:school-a|policy.push policy:trust|policy.rollback policy:trust"
		if strings.Join(actions, "|") != want {
			t.Fatalf("audit = %q, want %q", strings.Join(actions, "|"), want)
		}
		if v, err := s.VerifyAudit(ctx, ""); err != nil || v.BadID != 0 {
			t.Fatalf("audit chain: %+v, %v", v, err)
		}
	})
}
