//go:build unix && !linux

package pgtest

import "syscall"

// setParentDeathSignal does nothing here: only Linux has a parent-death
// signal, so a hard-killed test binary leaves its postgres running.
func setParentDeathSignal(attr *syscall.SysProcAttr, sig syscall.Signal) {}
