package format

import (
	"fmt"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// The portal downloads provisioning as three CSV files joined on the change
// ID: ProvisioningLogs (everything but steps and modified properties),
// ProvisioningLogs_ProvisioningSteps and ProvisioningLogs_ModifiedProperties.
// An export writes one file, so this view is their join: the main file's
// columns, then the first steps and modified properties flattened into
// numbered columns the way the portal flattens audit targets, then the rest
// of each as one JSON array cell. Nothing of the three files is lost. The
// portal's own column names for these files were not observed; the names
// below follow its sign-in download's wording.
const (
	provisioningStepColumns     = 6
	provisioningPropertyColumns = 10
)

// provisioningEvent is a provisioningObjectSummary as the columns read it.
type provisioningEvent struct {
	rec          *audit.Record
	top          jsonObject
	steps, props [][]byte
}

func parseProvisioningEvent(rec *audit.Record, top jsonObject) *provisioningEvent {
	return &provisioningEvent{rec: rec, top: top,
		steps: collection(top.get("provisioningSteps")), props: collection(top.get("modifiedProperties"))}
}

func provisioningProp(name string, path ...string) column[*provisioningEvent] {
	return column[*provisioningEvent]{name, strings.Join(path, "/"), func(p *provisioningEvent) string { return p.top.text(path...) }}
}

func provisioningLayout() *view[*provisioningEvent] {
	errInfo := func(name, key string) column[*provisioningEvent] {
		return provisioningProp(name, "provisioningStatusInfo", "errorInformation", key)
	}
	cols := []column[*provisioningEvent]{
		{"Date (UTC)", portalDateSource("activityDateTime"),
			func(p *provisioningEvent) string { return portalDate(p.rec, p.top, "activityDateTime") }},
		provisioningProp("ID", "id"),
		provisioningProp("Job ID", "jobId"),
		provisioningProp("Cycle ID", "cycleId"),
		provisioningProp("Change ID", "changeId"),
		provisioningProp("Action", "provisioningAction"),
		provisioningProp("Status", "provisioningStatusInfo", "status"),
		errInfo("Error code", "errorCode"),
		errInfo("Error category", "errorCategory"),
		errInfo("Error reason", "reason"),
		errInfo("Error details", "additionalDetails"),
		errInfo("Recommended action", "recommendedAction"),
		provisioningProp("Duration (ms)", "durationInMilliseconds"),
		provisioningProp("Tenant ID", "tenantId"),
		provisioningProp("Initiated by ID", "initiatedBy", "id"),
		provisioningProp("Initiated by", "initiatedBy", "displayName"),
		provisioningProp("Initiator type", "initiatedBy", "initiatorType"),
		provisioningProp("Service principal ID", "servicePrincipal", "id"),
		provisioningProp("Service principal name", "servicePrincipal", "displayName"),
	}
	for _, side := range [...]struct{ label, system, identity string }{
		{"Source", "sourceSystem", "sourceIdentity"},
		{"Target", "targetSystem", "targetIdentity"},
	} {
		cols = append(cols,
			provisioningProp(side.label+" system ID", side.system, "id"),
			provisioningProp(side.label+" system", side.system, "displayName"),
			provisioningProp(side.label+" system details", side.system, "details"),
			provisioningProp(side.label+" identity ID", side.identity, "id"),
			provisioningProp(side.label+" identity name", side.identity, "displayName"),
			provisioningProp(side.label+" identity type", side.identity, "identityType"),
			provisioningProp(side.label+" identity details", side.identity, "details"),
		)
	}
	cols = append(cols, numberedColumns("ProvisioningStep", "MoreProvisioningSteps", "provisioningSteps", provisioningStepColumns,
		func(p *provisioningEvent) [][]byte { return p.steps },
		[][2]string{{"Name", "name"}, {"Type", "provisioningStepType"}, {"Status", "status"}, {"Description", "description"}, {"Details", "details"}})...)
	cols = append(cols, numberedColumns("ModifiedProperty", "MoreModifiedProperties", "modifiedProperties", provisioningPropertyColumns,
		func(p *provisioningEvent) [][]byte { return p.props },
		[][2]string{{"Name", "displayName"}, {"OldValue", "oldValue"}, {"NewValue", "newValue"}})...)
	return &view[*provisioningEvent]{parse: parseProvisioningEvent, cols: cols}
}

// numberedColumns flattens the first count entries of a collection into
// <prefix>N<suffix> columns, one per field (suffix, member), and ends with
// column more: the entries after them as a compact JSON array.
func numberedColumns(prefix, more, property string, count int, entries func(*provisioningEvent) [][]byte, fields [][2]string) []column[*provisioningEvent] {
	var cols []column[*provisioningEvent]
	for n := range count {
		for _, f := range fields {
			key := f[1]
			cols = append(cols, column[*provisioningEvent]{fmt.Sprintf("%s%d%s", prefix, n+1, f[0]), fmt.Sprintf("%s[%d]/%s", property, n, key),
				func(p *provisioningEvent) string {
					if e := entries(p); n < len(e) {
						return parseObject(e[n]).text(key)
					}
					return ""
				}})
		}
	}
	return append(cols, column[*provisioningEvent]{more,
		fmt.Sprintf("%s after the first %d, as a JSON array (empty when there are none)", property, count),
		func(p *provisioningEvent) string {
			if e := entries(p); len(e) > count {
				return jsonArray(e[count:])
			}
			return ""
		}})
}
