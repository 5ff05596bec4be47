package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveProcess is a running `schoolgate serve` and what it has logged; the
// DNS and proxy instances embed it.
type serveProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
	logMu  sync.Mutex
	log    strings.Builder
}

func newServeProcess() serveProcess { return serveProcess{exited: make(chan struct{})} }

// appendLog records one line of the process's log.
func (p *serveProcess) appendLog(line string) {
	p.logMu.Lock()
	p.log.WriteString(line + "\n")
	p.logMu.Unlock()
}

func (p *serveProcess) logText() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
}

// stop asks serve to shut down (SIGINT) and kills it after 10 s.
func (p *serveProcess) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// start runs cmd, keeps its log, and waits (up to 60 s) until the log has
// matched every one of res; it returns each one's first submatch (the
// address a listener logged) in order. It fails the test if serve exits
// first.
func (p *serveProcess) start(t *testing.T, cmd *exec.Cmd, res ...*regexp.Regexp) []string {
	t.Helper()
	p.cmd = cmd
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan []string, 1)
	go func() {
		got := make([]string, len(res))
		left := len(res)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.appendLog(line)
			for i, re := range res {
				if m := re.FindStringSubmatch(line); m != nil && got[i] == "" {
					got[i] = m[1]
					if left--; left == 0 {
						found <- got
					}
				}
			}
		}
	}()
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.stop)
	select {
	case got := <-found:
		return got
	case <-p.exited:
		t.Fatalf("serve exited:\n%s", p.logText())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start listening:\n%s", p.logText())
	}
	return nil
}

// fetchMetrics returns the Prometheus text an admin listener serves.
func fetchMetrics(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	return string(body)
}

// metricValue is the value of the sample series (a name and its labels,
// exactly as exported) in a /metrics body; ok is false when it is absent.
func metricValue(body, series string) (v float64, ok bool) {
	for _, l := range strings.Split(body, "\n") {
		if rest, found := strings.CutPrefix(l, series+" "); found {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// needTool skips without a tool, unless CI is set (then it fails).
func needTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (Debian package %s)", tool, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", tool, pkg)
	}
	return p
}
