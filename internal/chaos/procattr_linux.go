package chaos

import "syscall"

// procAttr puts a child in a process group of its own (so that cleanup can kill what
// it started) and has the kernel kill it if the harness dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
