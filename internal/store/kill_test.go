package store

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// TestWriterChildProcess is not a test: it is the child that the kill
// tests start. It logs events as fast as it can until SIGTERM, then closes
// the writer cleanly and reports its counts on stdout.
func TestWriterChildProcess(t *testing.T) {
	if os.Getenv("SCHOOLGATE_WRITER_CHILD") != "1" {
		t.Skip("run by TestWriterShutdown")
	}
	opt := Options{SQLitePath: os.Getenv("SCHOOLGATE_CHILD_SQLITE"), PostgresDSN: os.Getenv("SCHOOLGATE_CHILD_POSTGRES")}
	s, err := Open(context.Background(), opt)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	w, err := activity.NewWriter(s, activity.WriterOptions{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	ip := netip.MustParseAddr("10.20.0.7")
	var n uint64
	start := time.Now()
	for {
		select {
		case <-term:
			err := w.Close()
			s.Close()
			fmt.Printf("logged %d dropped %d written %d err %v\n", n, w.Dropped(), w.Written(), err)
			os.Exit(0)
		default:
		}
		// About 50,000 events a second, in bursts of 500.
		for i := 0; i < 500; i++ {
			w.Log(activity.Event{Time: start.Add(time.Duration(n) * time.Microsecond), Client: ip, User: "amy", Host: "www.example.com",
				Verdict: "allow", Rule: "default", Point: activity.PointProxy})
			n++
		}
		if n == 500 {
			fmt.Println("started")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWriterShutdown starts a child that logs events continuously and
// stops it twice: with SIGTERM everything it accepted is in the database;
// with SIGKILL the database holds whole batches only (nothing torn, the
// rest of the queue is lost) and stays usable.
func TestWriterShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			env := []string{"SCHOOLGATE_WRITER_CHILD=1"}
			var opt Options
			if backend == "sqlite" {
				opt.SQLitePath = filepath.Join(t.TempDir(), "kill.db")
				env = append(env, "SCHOOLGATE_CHILD_SQLITE="+opt.SQLitePath)
			} else {
				opt.PostgresDSN = PostgresTestDSN(t)
				env = append(env, "SCHOOLGATE_CHILD_POSTGRES="+opt.PostgresDSN)
			}
			// Migrate first, so the child and the checks share a schema.
			s := openTest(t, opt)
			count := func() int64 {
				var n int64
				if err := s.r.QueryRow(`SELECT COUNT(*) FROM activity`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			// SIGTERM: a clean shutdown keeps everything accepted.
			out := runChild(t, env, syscall.SIGTERM)
			var logged, dropped, written uint64
			var werr string
			if _, err := fmt.Sscanf(out, "logged %d dropped %d written %d err %s", &logged, &dropped, &written, &werr); err != nil {
				t.Fatalf("child said %q: %v", out, err)
			}
			got := count()
			t.Logf("SIGTERM: logged %d, dropped %d (queue full), in the database %d", logged, dropped, got)
			if werr != "<nil>" || uint64(got) != logged-dropped || written != logged-dropped || logged < 500 {
				t.Fatalf("clean shutdown lost events: logged %d dropped %d written %d, database %d", logged, dropped, written, got)
			}

			// SIGKILL: only committed batches survive.
			before := got
			runChild(t, env, syscall.SIGKILL)
			after := count()
			t.Logf("SIGKILL: %d events from the killed writer reached the database (the queue in memory is lost)", after-before)
			// Each batch widens its block's count in its own transaction.
			var inBlocks int64
			if err := s.r.QueryRow(`SELECT COALESCE(SUM(events), 0) FROM activity_blocks`).Scan(&inBlocks); err != nil {
				t.Fatal(err)
			}
			if inBlocks != after {
				t.Fatalf("blocks count %d != events %d: a batch was torn", inBlocks, after)
			}
			// The aggregates come from the events, so the kill costs
			// them nothing either.
			if _, err := s.Rollup(context.Background(), time.Now().Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			var hourly int64
			if err := s.r.QueryRow(`SELECT COALESCE(SUM(count), 0) FROM activity_hourly`).Scan(&hourly); err != nil {
				t.Fatal(err)
			}
			if hourly != after {
				t.Fatalf("aggregates %d != events %d", hourly, after)
			}
			if backend == "sqlite" {
				var ok string
				if err := s.r.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
					t.Fatalf("integrity_check: %q %v", ok, err)
				}
			}
			if err := s.InsertEvents(context.Background(), []activity.Event{{Time: time.Now(), Host: "after.example", Verdict: "allow", Point: activity.PointDNS}}); err != nil {
				t.Fatalf("database unusable after SIGKILL: %v", err)
			}
		})
	}
}

// runChild starts the child, lets it log for a second, signals it and
// returns its last line of output.
func runChild(t *testing.T, env []string, sig syscall.Signal) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriterChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "started" {
			t.Fatalf("child: %s", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("child did not start")
	}
	time.Sleep(time.Second)
	cmd.Process.Signal(sig)
	last := ""
	for l := range lines {
		if strings.HasPrefix(l, "logged") {
			last = l
		}
	}
	cmd.Wait()
	return last
}
