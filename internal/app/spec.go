package app

import (
	"errors"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/capacity"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/verify"
)

// Spec is one configured tenant × stream, derived from the configuration
// once; every part of the archiver that needs a job's settings (the job,
// status, verify, export, the budget) gets them from here, so no two of
// them read the configuration differently.
type Spec struct {
	Tenant config.Tenant
	Stream audit.Stream
}

// Specs lists the configured jobs in configuration order.
func Specs(cfg *config.Config) []Spec {
	var out []Spec
	for _, t := range cfg.Tenants {
		for _, st := range t.Settings.Streams {
			out = append(out, Spec{Tenant: t, Stream: st})
		}
	}
	return out
}

// SelectSpecs lists the configured jobs of tenant and stream ("" matches
// all); a tenant or stream that names no job is a usage error.
func SelectSpecs(cfg *config.Config, tenant, stream string) ([]Spec, error) {
	if _, known := audit.StreamByName(stream); stream != "" && !known {
		return nil, usageError{fmt.Errorf("unknown stream %q", stream)}
	}
	if _, known := cfg.Tenant(tenant); tenant != "" && !known {
		return nil, usageError{fmt.Errorf("no tenant %q in the configuration", tenant)}
	}
	var out []Spec
	for _, s := range Specs(cfg) {
		if (tenant == "" || s.Tenant.Name == tenant) && (stream == "" || s.Stream.Name == stream) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, usageError{errors.New("no configured job matches --tenant and --stream")}
	}
	return out, nil
}

// Name is "tenant/stream".
func (s Spec) Name() string { return s.Tenant.Name + "/" + s.Stream.Name }

// Settings is what the job archives and how.
func (s Spec) Settings() job.Settings {
	t := s.Tenant.Settings
	return job.Settings{
		Tenant: s.Tenant.Name, TenantID: s.Tenant.TenantID, Stream: s.Stream, Formats: t.Formats, Gzip: t.Compression == "gzip",
		Partition: t.Partition, Settle: t.Settle, Recheck: t.Recheck,
		Start:            job.Start{Retention: t.Start.Retention, At: t.Start.At, Back: t.Start.Back},
		RetentionWarning: t.RetentionWarning, Filter: t.Filter[s.Stream.Name],
	}
}

// StatusJob is the job as the status report describes it.
func (s Spec) StatusJob() status.Job {
	t := s.Tenant.Settings
	return status.Job{
		Tenant: s.Tenant.Name, Stream: s.Stream.Name, Partition: t.Partition,
		RetentionWarning: t.RetentionWarning, Schedule: t.Schedule,
		Rechecks:    len(t.Recheck),
		RateLimit:   capacity.Rate{Requests: t.RateLimit.Requests, Per: t.RateLimit.Per},
		BudgetGroup: budgetGroup(s.Tenant),
	}
}

// VerifyJob is the job as verify checks it.
func (s Spec) VerifyJob() verify.Job {
	t := s.Tenant.Settings
	return verify.Job{
		Tenant: s.Tenant.Name, TenantID: s.Tenant.TenantID, Stream: s.Stream, Partition: t.Partition,
		Formats: t.Formats, Gzip: t.Compression == "gzip",
	}
}

// CapacityJob is the job as the Graph budget counts it.
func (s Spec) CapacityJob() capacity.Job {
	t := s.Tenant.Settings
	return capacity.Job{
		Tenant: s.Tenant.Name, Group: budgetGroup(s.Tenant),
		Rate:     capacity.Rate{Requests: t.RateLimit.Requests, Per: t.RateLimit.Per},
		Schedule: t.Schedule, Rechecks: len(t.Recheck),
	}
}

// budgetGroup is the budget a tenant draws on: Graph's budget is per app
// per directory, so configured tenants that are one directory read by one
// app share it.
func budgetGroup(t config.Tenant) string {
	return capacity.GroupKey(t.GraphEndpoint, t.TenantID, t.Auth.ClientID)
}
