package e2e

import (
	"os"
	"os/exec"
	"strings"
	"sync"
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
