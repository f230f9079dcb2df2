package main

import "syscall"

// threadNice says lowerThreadPriority works here.
const threadNice = true

// backgroundNice is the nice value of background work. The kernel weighs
// nice 10 at 110 against 1,024 for nice 0: next to busy serving threads
// the work gets about a tenth of a core, so checks keep ~90 % of the CPU
// and an activation still ends on a saturated server (about ten times
// slower) instead of starving, as it would at nice 19 (weight 15).
const backgroundNice = 10

// lowerThreadPriority sets the calling OS thread's nice value to
// backgroundNice (on Linux a thread id is a valid PRIO_PROCESS target and
// affects that thread only). Failure leaves the normal priority: the work
// is still correct.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), backgroundNice)
}
