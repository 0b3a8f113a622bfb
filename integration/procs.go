package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Proc is a child process started by a test: the real binary, as an operator
// or a crash would see it. Its stdout and stderr go to files in the test's
// temporary directory, so that a test can wait for a log line and read the
// output after a kill. A Proc still running when the test ends is killed.
type Proc struct {
	name   string
	cmd    *exec.Cmd
	stdout string // file names
	stderr string
	done   chan struct{} // closed once the process exited and err is set
	err    error
}

// StartProc starts bin with args and, on top of the test's environment, env
// ("KEY=value"). name tells the process apart in logs and file names.
func StartProc(t testing.TB, name, bin string, args []string, env ...string) *Proc {
	t.Helper()
	dir := t.TempDir()
	p := &Proc{
		name:   name,
		stdout: filepath.Join(dir, name+".stdout"),
		stderr: filepath.Join(dir, name+".stderr"),
		done:   make(chan struct{}),
	}
	out, err := os.Create(p.stdout)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	errf, err := os.Create(p.stderr)
	if err != nil {
		out.Close()
		t.Fatalf("%s: %v", name, err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = out, errf
	if err := p.cmd.Start(); err != nil {
		out.Close()
		errf.Close()
		t.Fatalf("start %s (%s %s): %v", name, bin, strings.Join(args, " "), err)
	}
	t.Logf("%s: started pid %d: %s %s", name, p.cmd.Process.Pid, filepath.Base(bin), strings.Join(args, " "))
	go func() {
		p.err = p.cmd.Wait()
		out.Close()
		errf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			_ = p.cmd.Process.Signal(syscall.SIGCONT) // a stopped process would not die before SIGCONT on some systems
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s: stderr (last 4 KiB):\n%s", name, tail(p.Stderr(), 4096))
		}
	})
	return p
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stdout returns what the process wrote to stdout so far.
func (p *Proc) Stdout() string { return readFile(p.stdout) }

// Stderr returns what the process wrote to stderr so far.
func (p *Proc) Stderr() string { return readFile(p.stderr) }

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

// WaitLog waits until a line of stderr contains substr and returns that line.
// It fails the test after timeout, or when the process exits without it.
func (p *Proc) WaitLog(t testing.TB, substr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited := p.Exited() // before reading, so the last lines are seen
		for line := range strings.Lines(p.Stderr()) {
			if strings.Contains(line, substr) {
				return strings.TrimRight(line, "\n")
			}
		}
		switch {
		case exited:
			t.Fatalf("%s exited (%v) without logging %q", p.name, p.err, substr)
		case time.Now().After(deadline):
			t.Fatalf("%s logged no %q within %v", p.name, substr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Signal sends sig to the process; a process that already exited is not an error.
func (p *Proc) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("%s: signal %v: %v", p.name, sig, err)
	}
}

// Term sends SIGTERM, a clean stop.
func (p *Proc) Term(t testing.TB) { p.Signal(t, syscall.SIGTERM) }

// Kill sends SIGKILL, a crash, and waits until the process is gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	p.Signal(t, syscall.SIGKILL)
	<-p.done
}

// Stop freezes the process (SIGSTOP), as a long pause or a hung host would.
func (p *Proc) Stop(t testing.TB) { p.Signal(t, syscall.SIGSTOP) }

// Cont resumes a stopped process (SIGCONT).
func (p *Proc) Cont(t testing.TB) { p.Signal(t, syscall.SIGCONT) }

// Wait waits for the process to exit and returns its exit code (-1 when a
// signal killed it). It fails the test when the process is still running after
// timeout.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s still running after %v; stderr:\n%s", p.name, timeout, tail(p.Stderr(), 4096))
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("%s: wait: %v", p.name, p.err)
		return -1
	}
}

// WaitOK waits for the process to exit with status 0, failing the test with
// the end of its stderr otherwise.
func (p *Proc) WaitOK(t testing.TB, timeout time.Duration) {
	t.Helper()
	if code := p.Wait(t, timeout); code != 0 {
		t.Fatalf("%s exited with status %d; stderr:\n%s", p.name, code, tail(p.Stderr(), 4096))
	}
}

// RunCmd runs bin with args to completion within timeout and returns its
// stdout; a non-zero exit fails the test with stderr.
func RunCmd(t testing.TB, timeout time.Duration, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(stderr.String(), 4096))
	}
	return stdout.Bytes()
}

// BuildBinary builds the main package at pkg (a path relative to the module
// root, such as "./cmd/headcount") into dir and returns the binary's path.
// The module root is found from the working directory, which go test sets to
// the package directory.
func BuildBinary(dir, pkg string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// moduleRoot walks up from the working directory to the directory of go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
