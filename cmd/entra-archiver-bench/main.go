// Command entra-archiver-bench runs the end-to-end benchmarks of issue 7 and
// prints their results as Markdown (docs/benchmarks.md holds a run and the
// exact commands): throughput and memory of the real binary against the
// simulated Graph with two baselines, throttle efficiency, and many tenants
// under one app budget. Run it from the repository root; it builds the
// binary and starts Azurite from node_modules unless told otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
	"github.com/entra-archiver/entra-archiver/internal/tools/bench"
)

func main() {
	if code, ok := bench.Child(); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	scenarios   map[string]bool
	records     []int
	baselines   bool
	azurite     bool
	azuriteConn string
	binary      string
	dir         string
}

func parse(args []string, stderr io.Writer) (options, bool) {
	var o options
	fs := flag.NewFlagSet("entra-archiver-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenarios := fs.String("scenarios", "throughput,throttle,tenants", "scenarios to run: throughput, throttle, tenants")
	records := fs.String("records", "100000,1000000", "throughput: records in the hour partition, one run per value")
	fs.BoolVar(&o.baselines, "baselines", true, "throughput: also run the curl+jq+gzip baseline")
	fs.BoolVar(&o.azurite, "azurite", true, "throughput: also archive to Azurite (started from node_modules)")
	fs.StringVar(&o.azuriteConn, "azurite-conn", "", "throughput: archive to this Azurite connection string instead of starting one")
	fs.StringVar(&o.binary, "archiver", "", "entra-archiver binary (default: go build it)")
	fs.StringVar(&o.dir, "dir", "", "work folder (default: a new folder in TMPDIR); needs room for about twice the Graph JSON of the largest run")
	if err := fs.Parse(args); err != nil {
		return o, false
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scenarios, ",") {
		switch s = strings.TrimSpace(s); s {
		case "throughput", "throttle", "tenants":
			o.scenarios[s] = true
		default:
			fmt.Fprintf(stderr, "--scenarios: unknown scenario %q\n", s)
			return o, false
		}
	}
	for _, s := range strings.Split(*records, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "--records: %q is not a positive number\n", s)
			return o, false
		}
		o.records = append(o.records, n)
	}
	return o, true
}

func run(args []string, stdout, stderr io.Writer) int {
	o, ok := parse(args, stderr)
	if !ok {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }
	if err := runScenarios(ctx, o, stdout, logf); err != nil {
		fmt.Fprintln(stderr, "entra-archiver-bench:", err)
		return 1
	}
	return 0
}

func runScenarios(ctx context.Context, o options, stdout io.Writer, logf func(string, ...any)) error {
	work := o.dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "entra-archiver-bench-*"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	if o.binary == "" {
		logf("building entra-archiver")
		var err error
		if o.binary, err = bench.Build(ctx, work); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bench.WriteMachine(stdout)
	if o.scenarios["throughput"] {
		conn := o.azuriteConn
		if conn == "" && o.azurite {
			az, err := startAzurite(work)
			if err != nil {
				return err
			}
			defer az.Close()
			conn = az.ConnectionString()
		}
		for _, n := range o.records {
			res, err := bench.RunThroughput(ctx, bench.ThroughputOptions{
				Binary: o.binary, Self: self, Dir: work, Records: n, Local: true, Azurite: conn,
				Baselines: o.baselines, Logf: logf,
			})
			if err != nil {
				return err
			}
			res.WriteMarkdown(stdout)
		}
	}
	if o.scenarios["throttle"] {
		res, err := bench.RunThrottle(ctx, bench.ThrottleOptions{Binary: o.binary, Dir: work, Logf: logf})
		if err != nil {
			return err
		}
		res.WriteMarkdown(stdout)
	}
	if o.scenarios["tenants"] {
		res, err := bench.RunTenants(ctx, bench.TenantsOptions{Binary: o.binary, Dir: work, Logf: logf})
		if err != nil {
			return err
		}
		res.WriteMarkdown(stdout)
	}
	return nil
}

// startAzurite starts Azurite from the repository's node_modules with its
// data on disk in work (a bench writes more than fits comfortably in memory).
func startAzurite(work string) (*testenv.AzuriteProcess, error) {
	data := filepath.Join(work, "azurite")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	return testenv.LaunchAzurite(data)
}
