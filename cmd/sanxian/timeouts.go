package main

import (
	"flag"
	"fmt"
	"time"
)

// connTimeouts bound how long one connection may hold the server: a
// client that sends its headers byte by byte, stalls in the middle of a
// body, never reads the answer or keeps an idle connection open is cut
// off after these, so slow or stalled clients cannot pile up goroutines
// and file descriptors. The batch upload and download routes extend the
// read and write deadlines for themselves (web.Config.BatchTimeout).
type connTimeouts struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the answer; 0 = --timeout + 10s
	Idle       time.Duration // between requests on a kept-alive connection
}

// timeoutFlags declares serve's connection timeout flags; the strings are
// checked by parseTimeouts.
func timeoutFlags(fs *flag.FlagSet, readHeader, read, write, idle *string) {
	fs.StringVar(readHeader, "read-header-timeout", envOr("SANXIAN_READ_HEADER_TIMEOUT", "10s"), "")
	fs.StringVar(read, "read-timeout", envOr("SANXIAN_READ_TIMEOUT", "30s"), "")
	fs.StringVar(write, "write-timeout", envOr("SANXIAN_WRITE_TIMEOUT", ""), "")
	fs.StringVar(idle, "idle-timeout", envOr("SANXIAN_IDLE_TIMEOUT", "120s"), "")
}

// parseTimeouts reads the flags: positive durations; an empty
// --write-timeout is the request timeout plus 10 s, so that a check that
// ends at its deadline can still answer 504.
func parseTimeouts(readHeader, read, write, idle string, request time.Duration) (connTimeouts, error) {
	var c connTimeouts
	for _, f := range []struct {
		name, value string
		to          *time.Duration
	}{{"read-header-timeout", readHeader, &c.ReadHeader}, {"read-timeout", read, &c.Read}, {"write-timeout", write, &c.Write}, {"idle-timeout", idle, &c.Idle}} {
		if f.value == "" && f.name == "write-timeout" {
			c.Write = request + 10*time.Second
			continue
		}
		d, err := time.ParseDuration(f.value)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("--%s：%q 不是正的时长（如 10s、500ms）", f.name, f.value)
		}
		*f.to = d
	}
	if c.ReadHeader > c.Read {
		return c, fmt.Errorf("--read-header-timeout（%s）不能长于 --read-timeout（%s）", c.ReadHeader, c.Read)
	}
	return c, nil
}
