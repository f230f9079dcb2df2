package pgtest

import "syscall"

// setParentDeathSignal asks the kernel to send sig to the child when the
// thread that starts it ends. Linux applies it after the child has taken
// its Credential, so it survives the switch to the postgres user.
func setParentDeathSignal(attr *syscall.SysProcAttr, sig syscall.Signal) {
	attr.Pdeathsig = sig
}
