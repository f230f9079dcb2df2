// Command compare runs the same siting queries through sanxian (in
// process and over HTTP) and through PostGIS on a throwaway PostgreSQL
// cluster, and reports agreement and throughput side by side (Markdown
// on stdout or -md, everything in -json). See docs/compare.md.
//
//	go run ./cmd/compare -datasets sample,/tmp/sanxian-x10 -json compare.json
//
// It exits 1 when a query failed, agreement is below 99.9 % or a
// disagreement is sanxian's error or unexplained (compare.SanxianError),
// 2 for bad flags; missed speed targets are reported, not failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/internal/compare"
	"github.com/sanxian/sanxian/internal/pgtest"
	"github.com/sanxian/sanxian/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	datasets := fs.String("datasets", "sample", "comma-separated datasets: 'sample' (embedded) or dataset folders")
	pgURL := fs.String("pg", "", "PostgreSQL URL with PostGIS available (default: start a throwaway cluster from Debian's packages)")
	seed := fs.Uint64("seed", 7, "seed of the query set")
	scale := fs.Float64("scale", 1, "multiplies the number of queries of every class")
	minDur := fs.Duration("duration", 3*time.Second, "each engine repeats a class's queries for at least this long (speed)")
	workers := fs.Int("workers", runtime.NumCPU(), "concurrent queries, in every engine alike")
	useHTTP := fs.Bool("http", true, "also query sanxian over HTTP (a server on a loopback port)")
	mdOut := fs.String("md", "", "write the Markdown report here (default stdout)")
	jsonOut := fs.String("json", "", "write the JSON report here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *workers < 1 || *scale <= 0 {
		fmt.Fprintln(stderr, "compare: -workers and -scale must be positive")
		return 2
	}
	url := *pgURL
	if url == "" {
		srv, err := pgtest.StartServer()
		if err != nil {
			if errors.Is(err, pgtest.ErrNoServer) {
				fmt.Fprintf(stderr, "compare: %v: run `make pg-deps` or apt-get install postgresql postgresql-postgis\n", err)
			} else {
				fmt.Fprintf(stderr, "compare: %v\n", err)
			}
			return 1
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				fmt.Fprintf(stderr, "compare: %v\n", err)
			}
		}()
		url = srv.URL()
	}
	var reports []*compare.Report
	var md strings.Builder
	md.WriteString("# sanxian vs PostGIS\n\n")
	failed := false
	for _, name := range strings.Split(*datasets, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		fmt.Fprintf(stderr, "compare: %s: loading\n", name)
		rep, err := one(ctx, name, url, compare.Config{
			Seed: *seed, Counts: compare.DefaultCounts().Scaled(*scale), Workers: *workers, MinDuration: *minDur,
		}, *useHTTP, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "compare: %s: %v\n", name, err)
			return 1
		}
		reports = append(reports, rep)
		if err := compare.WriteMarkdown(&md, rep); err != nil {
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return 1
		}
		if rep.AgreementPct < compare.TargetAgreementPct {
			failed = true
		}
		for _, d := range rep.Disagreements {
			failed = failed || compare.SanxianError(d.Explanation)
		}
	}
	if *mdOut != "" {
		if err := os.WriteFile(*mdOut, []byte(md.String()), 0o644); err != nil {
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "compare: wrote %s\n", *mdOut)
	} else {
		io.WriteString(stdout, md.String())
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(reports, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "compare: wrote %s\n", *jsonOut)
	}
	if failed {
		fmt.Fprintln(stderr, "compare: agreement below 99.9 %, or a disagreement that is sanxian's error or unexplained (see the report)")
		return 1
	}
	return 0
}

// one compares on one dataset.
func one(ctx context.Context, name, url string, cfg compare.Config, useHTTP bool, stderr io.Writer) (*compare.Report, error) {
	var c data.Contents
	var err error
	label := name
	if name == "sample" {
		c, err = data.ReadDataset(data.Sample())
	} else {
		c, err = data.LoadDir(name)
		label = filepath.Base(filepath.Clean(name))
	}
	if err != nil {
		return nil, err
	}
	d, err := c.Open(admission.Options{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "compare: %s: loading into PostGIS\n", label)
	pg, err := compare.LoadPostGIS(ctx, url, cfg.Workers, d)
	if err != nil {
		return nil, err
	}
	defer pg.Close()
	cfg.Dataset, cfg.Label, cfg.PostGIS = d, label, pg
	if useHTTP {
		base, client, stop, err := serve(d, cfg.Workers)
		if err != nil {
			return nil, err
		}
		defer stop()
		var layers []string
		for _, l := range d.Layers() {
			layers = append(layers, l.ID)
		}
		cfg.HTTP = compare.NewHTTP(base, client, layers)
	}
	fmt.Fprintf(stderr, "compare: %s: running %d queries\n", label, cfg.Counts.Total())
	return compare.Run(ctx, cfg)
}

// serve starts sanxian's web service over d on a loopback port, as
// `sanxian serve` would, and a client with a connection per worker.
func serve(d *admission.Dataset, workers int) (string, *http.Client, func(), error) {
	var store admission.Store
	store.Replace(d)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: web.New(&store, web.Config{}, nil), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	stop := func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + l.Addr().String(), client, stop, nil
}
