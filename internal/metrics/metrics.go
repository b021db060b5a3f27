// Package metrics defines every Prometheus metric of the contract (DESIGN.md
// "Observability"), registered on an injected registry. All methods are safe
// on a nil *Metrics, so components work without metrics in tests.
package metrics

import (
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "entra_archiver"

// Metrics holds the collectors. Labels: tenant (config name) and stream.
type Metrics struct {
	recordsArchived   *prometheus.CounterVec
	blobsWritten      *prometheus.CounterVec
	bytesWritten      *prometheus.CounterVec
	watermark         *prometheus.GaugeVec
	runs              *prometheus.CounterVec
	runDuration       *prometheus.HistogramVec
	graphRequests     *prometheus.CounterVec
	graphThrottled    *prometheus.CounterVec
	lateRecords       *prometheus.CounterVec
	revisions         *prometheus.CounterVec
	duplicatesDropped *prometheus.CounterVec
	retentionRisk     *prometheus.GaugeVec
	lostSeconds       *prometheus.CounterVec
	quarantined       *prometheus.CounterVec
	budgetNeed        *prometheus.GaugeVec
	configReloadOK    prometheus.Gauge
	configReloadTime  prometheus.Gauge

	now   func() time.Time
	mu    sync.Mutex
	marks map[[2]string]time.Time
	lag   *prometheus.Desc
}

// New creates the metrics and registers them on reg. now is the clock used
// for lag (time since the watermark, computed when scraped).
func New(reg prometheus.Registerer, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	ts := []string{"tenant", "stream"}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		recordsArchived: counter("records_archived_total", "Records written to new parts (each format counted once).", ts...),
		blobsWritten:    counter("blobs_written_total", "Data blobs and manifests written.", ts...),
		bytesWritten:    counter("bytes_written_total", "Bytes stored (after compression).", ts...),
		watermark:       gauge("watermark_timestamp_seconds", "Event time before which every record has been looked for (Unix seconds).", ts...),
		runs:            counter("runs_total", "Job runs by result (ok, failed, canceled: stopped by a shutdown or reload).", "tenant", "stream", "result"),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "run_duration_seconds",
			Help: "Duration of job runs.", Buckets: prometheus.ExponentialBuckets(0.25, 2, 16)}, ts),
		graphRequests:     counter("graph_requests_total", "Microsoft Graph requests by HTTP status (0 = transport error).", "tenant", "stream", "code"),
		graphThrottled:    counter("graph_throttled_total", "Graph answers 429 Too Many Requests.", ts...),
		lateRecords:       counter("late_records_total", "Records found by a recheck that were not archived before.", ts...),
		revisions:         counter("revisions_total", "Records archived again because their content changed.", ts...),
		duplicatesDropped: counter("duplicates_dropped_total", "Records dropped because the same id and content are already archived.", ts...),
		retentionRisk:     gauge("retention_risk", "1 when the watermark is within retention_warning of Graph's retention edge: data is about to be lost.", ts...),
		lostSeconds: counter("lost_seconds_total",
			"Seconds of event time the job could not read because Graph no longer served them (an outage longer than Graph keeps logs, a start before Graph's minimum allowed time); "+
				"status and verify list the spans. Keep runs from failing for weeks: act on EntraArchiverJobFailing and EntraArchiverRetentionRisk.", ts...),
		quarantined: counter("quarantined_records_total",
			"Records Graph served without a readable id or event time, kept raw under _quarantine/ instead of the archive; inspect them there and report them to Microsoft.", ts...),
		budgetNeed: gauge("graph_budget_need_ratio",
			"Graph requests a day the tenant's streams need (observed volume at 1,000 records a request, times 1 + recheck ages) over its rate_limit budget; "+
				"at 1 it falls behind: drop rechecks of a stream, move streams to a second app registration, or use diagnostic settings for the largest.", "tenant"),
		configReloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "config_last_reload_successful",
			Help: "1 if the last configuration reload succeeded."}),
		configReloadTime: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Time of the last successful configuration load (Unix seconds)."}),
		now:   now,
		marks: map[[2]string]time.Time{},
		lag: prometheus.NewDesc(namespace+"_lag_seconds",
			"Seconds between now and the watermark: how far the archive trails real time.", ts, nil),
	}
	reg.MustRegister(m.recordsArchived, m.blobsWritten, m.bytesWritten, m.watermark, m.runs, m.runDuration,
		m.graphRequests, m.graphThrottled, m.lateRecords, m.revisions, m.duplicatesDropped, m.retentionRisk,
		m.lostSeconds, m.quarantined, m.budgetNeed, m.configReloadOK, m.configReloadTime, lagCollector{m})
	return m
}

type lagCollector struct{ m *Metrics }

func (c lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.lag }

func (c lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	now := c.m.now()
	for k, wm := range c.m.marks {
		ch <- prometheus.MustNewConstMetric(c.m.lag, prometheus.GaugeValue, now.Sub(wm).Seconds(), k[0], k[1])
	}
}

// Watermark records a job's watermark (and thereby its lag).
func (m *Metrics) Watermark(tenant, stream string, wm time.Time) {
	if m == nil || wm.IsZero() {
		return
	}
	m.watermark.WithLabelValues(tenant, stream).Set(float64(wm.UnixNano()) / 1e9)
	m.mu.Lock()
	m.marks[[2]string{tenant, stream}] = wm
	m.mu.Unlock()
}

// BlobWritten counts one stored blob (a part in one format, or a manifest).
func (m *Metrics) BlobWritten(tenant, stream string, bytes int64) {
	if m == nil {
		return
	}
	m.blobsWritten.WithLabelValues(tenant, stream).Inc()
	m.bytesWritten.WithLabelValues(tenant, stream).Add(float64(bytes))
}

// Archived counts records, late records, revisions and dropped duplicates
// of one written (or skipped) part.
func (m *Metrics) Archived(tenant, stream string, records, late, revisions, duplicates int) {
	if m == nil {
		return
	}
	m.recordsArchived.WithLabelValues(tenant, stream).Add(float64(records))
	m.lateRecords.WithLabelValues(tenant, stream).Add(float64(late))
	m.revisions.WithLabelValues(tenant, stream).Add(float64(revisions))
	m.duplicatesDropped.WithLabelValues(tenant, stream).Add(float64(duplicates))
}

// Run results, the values of runs_total's result label.
const (
	ResultOK       = "ok"
	ResultFailed   = "failed"
	ResultCanceled = "canceled" // stopped by a shutdown or a reload; resumes at the next run
)

// Run counts a finished run.
func (m *Metrics) Run(tenant, stream, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(tenant, stream, result).Inc()
	m.runDuration.WithLabelValues(tenant, stream).Observe(d.Seconds())
}

// RetentionRisk sets the retention-risk gauge.
func (m *Metrics) RetentionRisk(tenant, stream string, atRisk bool) {
	if m == nil {
		return
	}
	v := 0.0
	if atRisk {
		v = 1
	}
	m.retentionRisk.WithLabelValues(tenant, stream).Set(v)
}

// Lost counts seconds of event time a job could not read (a lost span).
// Calling it with 0 creates the job's series, so it exists from the start.
func (m *Metrics) Lost(tenant, stream string, seconds float64) {
	if m == nil || seconds < 0 {
		return
	}
	m.lostSeconds.WithLabelValues(tenant, stream).Add(seconds)
}

// Quarantined counts records kept in quarantine instead of the archive.
// Calling it with 0 creates the job's series.
func (m *Metrics) Quarantined(tenant, stream string, n int) {
	if m == nil || n < 0 {
		return
	}
	m.quarantined.WithLabelValues(tenant, stream).Add(float64(n))
}

// BudgetNeed sets a tenant's Graph budget need ratio (capacity.Ratios): the
// requests a day its budget group needs over the requests a day it allows.
func (m *Metrics) BudgetNeed(tenant string, ratio float64) {
	if m == nil {
		return
	}
	m.budgetNeed.WithLabelValues(tenant).Set(ratio)
}

// GraphRequest counts one Graph request by status (0 = transport error).
func (m *Metrics) GraphRequest(tenant, stream string, status int) {
	if m == nil {
		return
	}
	m.graphRequests.WithLabelValues(tenant, stream, statusLabel(status)).Inc()
}

// GraphThrottled counts one 429.
func (m *Metrics) GraphThrottled(tenant, stream string) {
	if m == nil {
		return
	}
	m.graphThrottled.WithLabelValues(tenant, stream).Inc()
}

// ConfigReload records the outcome of a configuration (re)load.
func (m *Metrics) ConfigReload(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.configReloadOK.Set(1)
		m.configReloadTime.Set(float64(m.now().Unix()))
		return
	}
	m.configReloadOK.Set(0)
}

func statusLabel(status int) string {
	if status <= 0 {
		return "0"
	}
	return strconv.Itoa(status)
}

// Job creates a job's series at their zero values, so they exist from the
// start, not from the job's first event: rate() and increase() then see
// the first run, failure or loss, and an alert comparing two series (runs
// failed and none ok) can fire before the job has ever succeeded.
func (m *Metrics) Job(tenant, stream string) {
	if m == nil {
		return
	}
	for _, c := range []*prometheus.CounterVec{m.recordsArchived, m.blobsWritten, m.bytesWritten, m.graphThrottled,
		m.lateRecords, m.revisions, m.duplicatesDropped, m.lostSeconds, m.quarantined} {
		c.WithLabelValues(tenant, stream)
	}
	for _, result := range []string{ResultOK, ResultFailed, ResultCanceled} {
		m.runs.WithLabelValues(tenant, stream, result)
	}
	m.runDuration.WithLabelValues(tenant, stream)
	m.retentionRisk.WithLabelValues(tenant, stream)
}

// RegisterRuntime registers what Prometheus users expect of every process:
// entra_archiver_build_info (version and Go version as labels, value 1) and
// the Go runtime and process collectors (go_*, process_*).
func RegisterRuntime(reg prometheus.Registerer, version string) {
	info := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help:        "The archiver's build: version and Go version as labels; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()}})
	info.Set(1)
	reg.MustRegister(info, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}
