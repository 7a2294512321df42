// Package testproc runs the servers as real processes in tests: build once, start on port 0,
// read the bound addresses from the "listening" line, and kill everything at cleanup.
package testproc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles the main packages (import paths) into dir and returns their binary paths.
func Build(dir string, pkgs ...string) ([]string, error) {
	args := append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %v: %v\n%s", pkgs, err, out)
	}
	bins := make([]string, len(pkgs))
	for i, p := range pkgs {
		bins[i] = filepath.Join(dir, filepath.Base(p))
	}
	return bins, nil
}

// Proc is a started server.
type Proc struct {
	Cmd *exec.Cmd
	// Addrs holds the key=value fields of the listening line, e.g. "http" and "rpc".
	Addrs map[string]string

	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// Start runs bin with args and env (added to the test's environment), waits for its listening
// line, and kills it at cleanup.
func Start(t testing.TB, bin string, env []string, args ...string) *Proc {
	t.Helper()
	p, err := start(bin, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

func start(bin string, env []string, args ...string) (*Proc, error) {
	p := &Proc{Cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.Cmd.Env = append(os.Environ(), env...)
	pipe, err := p.Cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.Cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if !sent && strings.Contains(sc.Text(), ": listening ") {
				lines <- sc.Text()
				sent = true
			}
		}
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	select {
	case line := <-lines:
		p.Addrs = map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				p.Addrs[k] = v
			}
		}
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v\n%s", bin, p.err, p.Stderr())
	case <-time.After(20 * time.Second):
		p.Kill()
		return nil, fmt.Errorf("%s did not print its listening line in 20s\n%s", bin, p.Stderr())
	}
}

// Stderr returns what the process printed on stderr so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) { p.Cmd.Process.Signal(sig) }

// Wait waits up to timeout for the process to exit and returns its exit code (-1: killed by a
// signal, or still running when the timeout came, in which case it is killed).
func (p *Proc) Wait(timeout time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Kill()
		return -1
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Kill kills the process (SIGKILL: as a crash or an OOM kill would) and waits for it.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Run runs bin to completion (at most 20s) and returns its exit code and stderr.
func Run(bin string, env []string, args ...string) (int, string) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return -1, err.Error()
	}
	timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	cmd.Wait()
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// WaitFor polls cond every 10 ms until it holds, and fails the test if it does not within 10 s.
func WaitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}
