//go:build !linux

package main

// threadNice says lowerThreadPriority works here.
const threadNice = false

// backgroundNice is the nice value background work would have.
const backgroundNice = 0

// lowerThreadPriority is a no-op where threads have no portable nice
// value.
func lowerThreadPriority() {}
