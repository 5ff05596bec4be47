package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// lastAudit is the newest audit record of action on object.
func (f *fixture) lastAudit(action, object string) (store.AuditRecord, map[string]any) {
	f.t.Helper()
	recs, err := f.st.ListAudit(context.Background(), store.AuditFilter{Action: action, Object: object, Newest: true, Limit: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(recs) == 0 {
		f.t.Fatalf("no %s record on %s", action, object)
	}
	after := map[string]any{}
	if err := json.Unmarshal([]byte(recs[0].After), &after); err != nil {
		f.t.Fatalf("%s: after %q: %v", action, recs[0].After, err)
	}
	return recs[0], after
}

// TestDevicesList: the dsl sees the devices signed in now, with the
// person's name escaped, filtered by person or address; the view is
// audited with the people it names; a bad address filter names the
// field.
func TestDevicesList(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.sessions.Set(netip.MustParseAddr("10.20.0.7"), "ada", time.Hour)
		f.sessions.SetPortal(netip.MustParseAddr("10.10.0.5"), "r-teacher", f.clk.Now().Add(2*time.Hour), config.PortalStaffIdle)
		f.sessions.Set(netip.MustParseAddr("10.99.0.3"), "gone", time.Minute)
		f.clk.Add(2 * time.Minute) // gone's session has expired
		b := f.browser()
		b.signIn("r-dsl", "")
		st, _, body := b.do("GET", "/devices", nil, "User-Agent", "devices-test")
		if st != http.StatusOK {
			t.Fatalf("devices: %d %s", st, body)
		}
		if strings.Contains(body, "<b>Ada</b>") || !strings.Contains(body, "&lt;b&gt;Ada&lt;/b&gt;") {
			t.Errorf("the display name is not escaped:\n%s", body)
		}
		for _, want := range []string{"10.20.0.7", "10.10.0.5", "Person teacher", `action="/devices/10.20.0.7/end"`, "Mon 9 Mar 10:00", "Mon 9 Mar 11:00", "<td>sign-in page</td>", "<td>proxy log-in</td>"} {
			if !strings.Contains(body, want) {
				t.Errorf("devices page lacks %q", want)
			}
		}
		if strings.Contains(body, "10.99.0.3") || strings.Contains(body, "gone") {
			t.Error("an expired sign-in is listed")
		}
		rec, after := f.lastAudit("console.devices.view", "devices")
		if rec.Actor != "r-dsl" || rec.Roles != "dsl" || rec.From != "127.0.0.1" || after["user_agent"] != "devices-test" {
			t.Errorf("view audit: %+v %v", rec, after)
		}
		if users, _ := after["users"].([]any); len(users) != 2 || !slices.Contains(users, any("ada")) || !slices.Contains(users, any("r-teacher")) {
			t.Errorf("view audit names %v", after["users"])
		}

		for _, c := range []struct {
			query, want, not string
		}{
			{"person=ADA", "10.20.0.7", "10.10.0.5"},
			{"person=teacher", "10.10.0.5", "10.20.0.7"},
			{"addr=10.10.0.0/16", "10.10.0.5", "10.20.0.7"},
			{"addr=::ffff:10.20.0.7", "10.20.0.7", "10.10.0.5"},
		} {
			st, _, body := b.do("GET", "/devices?"+c.query, nil)
			if st != http.StatusOK || !strings.Contains(body, "<td>"+c.want+"</td>") || strings.Contains(body, "<td>"+c.not+"</td>") {
				t.Errorf("%s: %d, want %s and not %s", c.query, st, c.want, c.not)
			}
		}
		_, after = f.lastAudit("console.devices.view", "devices")
		if users, _ := after["users"].([]any); len(users) != 1 || users[0] != "ada" || after["addr"] != "::ffff:10.20.0.7" {
			t.Errorf("a filtered view's audit: %v", after)
		}
		st, _, body = b.do("GET", "/devices?addr=10.20.0.999", nil)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `address &#34;10.20.0.999&#34;: not an IP address`) || strings.Contains(body, "<td>10.20.0.7</td>") {
			t.Errorf("a bad address filter: %d\n%s", st, body)
		}
	})
}

// TestDevicesEnd: ending a device's sign-in places the address by its
// networks at once for a real resolver over the same sessions; the
// record names the person and the address; a role without the
// capability cannot end it.
func TestDevicesEnd(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		snap := f.c.snap()
		dir, err := store.NewDirectory(f.st, store.DirectoryOptions{Mapping: func() config.Identity { return snap.Config().Identity }, Now: f.clk.Now, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		resolver := identity.NewResolver(f.sessions, dir, f.clk.Now)
		// ada's own laptop on the visitors' wireless, signed in to the proxy.
		laptop := netip.MustParseAddr("10.99.0.7")
		f.sessions.Set(laptop, "ada", time.Hour)
		who := resolver.Client(ctx, snap, laptop)
		if who.User != "ada" || who.How != identity.BySession || !slices.Equal(snap.GroupNames(who.Groups), []string{"pupils-ks2"}) {
			t.Fatalf("signed in: %+v %v", who, snap.GroupNames(who.Groups))
		}

		teacher := f.browser()
		teacher.signIn("r-teacher", "")
		if st, _, body := teacher.post("/devices/10.99.0.7/end", nil); st != http.StatusForbidden || strings.Contains(body, "ada") {
			t.Errorf("a teacher ends a sign-in: %d", st)
		}
		if u, ok := f.sessions.Lookup(laptop); !ok || u != "ada" {
			t.Fatal("a refused request ended the sign-in")
		}

		b := f.browser()
		b.signIn("r-esafety-lead", "")
		b.do("GET", "/devices", nil)
		st, loc, body := b.post("/devices/10.99.0.7/end", nil)
		if st != http.StatusSeeOther || loc != "/devices?done=ended" {
			t.Fatalf("end: %d %s %s", st, loc, body)
		}
		who = resolver.Client(ctx, snap, laptop)
		if who.User != "" || who.How != identity.ByNetwork || !slices.Equal(snap.GroupNames(who.Groups), []string{"visitors"}) {
			t.Errorf("after ending: %+v %v", who, snap.GroupNames(who.Groups))
		}
		rec, after := f.lastAudit("console.device.end", "user:ada")
		if rec.Actor != "r-esafety-lead" || rec.Roles != "esafety-lead" || rec.From != "127.0.0.1" || after["addr"] != "10.99.0.7" || after["user_agent"] != "Go-http-client/1.1" {
			t.Errorf("end audit: %+v %v", rec, after)
		}
		if _, _, body := b.do("GET", loc, nil); !strings.Contains(body, "Sign-in ended.") || strings.Contains(body, "<td>10.99.0.7</td>") {
			t.Errorf("after ending, the page:\n%s", body)
		}
		// Again: nothing to end, and no record.
		st, _, body = b.post("/devices/10.99.0.7/end", nil)
		if st != http.StatusNotFound || !strings.Contains(body, "No device is signed in from 10.99.0.7") {
			t.Errorf("ending twice: %d %s", st, body)
		}
		if st, _, _ := b.post("/devices/not-an-address/end", nil); st != http.StatusNotFound {
			t.Errorf("a bad address: %d", st)
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "console.device.end"})
		if err != nil || len(recs) != 1 {
			t.Errorf("%d end records (%v)", len(recs), err)
		}
	})
}

// TestDisableEndsDevices: disabling a person in the console ends their
// devices' sign-ins here, with a record naming the addresses; others'
// stay.
func TestDisableEndsDevices(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.sessions.Set(netip.MustParseAddr("10.10.0.5"), "r-teacher", time.Hour)
		f.sessions.Set(netip.MustParseAddr("10.10.0.6"), "r-teacher", time.Hour)
		f.sessions.Set(netip.MustParseAddr("10.20.0.7"), "ada", time.Hour)
		tech := f.browser()
		tech.signIn("r-technical", "")
		tech.do("GET", "/people/r-teacher", nil)
		if st, _, body := tech.post("/people/r-teacher/disable", url.Values{"person": {"r-teacher"}}); st != http.StatusSeeOther {
			t.Fatalf("disable: %d %s", st, body)
		}
		left := f.sessions.List()
		if len(left) != 1 || left[0].User != "ada" {
			t.Errorf("after disabling the teacher: %v", left)
		}
		rec, after := f.lastAudit("console.device.end", "user:r-teacher")
		if addrs, _ := after["addrs"].([]any); rec.Actor != "r-technical" || len(addrs) != 2 || addrs[0] != "10.10.0.5" || addrs[1] != "10.10.0.6" {
			t.Errorf("disable's end record: %+v %v", rec, after)
		}
	})
}
