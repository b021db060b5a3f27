package format

import (
	"fmt"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// The portal's audit download (AuditLogs) flattens a directoryAudit into
// fixed columns: the activity and its actor, then 3 targets each followed
// by 5 of its modified properties, then 6 additional details. Whatever does
// not fit is not in the row (PortalWriter.Overflowed counts such records).
const (
	auditTargets            = 3
	auditModifiedProperties = 5
	auditAdditionalDetails  = 6
)

// directoryAudit is a directoryAudit record as the portal's columns read it.
type directoryAudit struct {
	rec        *audit.Record
	top        jsonObject
	user, app  jsonObject // initiatedBy/user and initiatedBy/app
	actorIsApp bool
	targets    []auditTarget
	details    []jsonObject
}

type auditTarget struct {
	resource jsonObject
	props    []jsonObject
}

func parseDirectoryAudit(rec *audit.Record, top jsonObject) *directoryAudit {
	by := top.obj("initiatedBy")
	a := &directoryAudit{rec: rec, top: top, user: by.obj("user"), app: by.obj("app")}
	// Graph sends both members with the one that did not act null; a user
	// object that names nobody does not hide an app that acted.
	a.actorIsApp = !a.userNamed() && a.app != nil
	for _, t := range objects(top.get("targetResources")) {
		a.targets = append(a.targets, auditTarget{resource: t, props: objects(t.get("modifiedProperties"))})
	}
	a.details = objects(top.get("additionalDetails"))
	return a
}

// userNamed reports whether initiatedBy/user names a user.
func (a *directoryAudit) userNamed() bool {
	return a.user.has("id", "displayName", "userPrincipalName")
}

// overflow reports whether the record holds more than the columns show.
func (a *directoryAudit) overflow() bool {
	if len(a.targets) > auditTargets || len(a.details) > auditAdditionalDetails {
		return true
	}
	for _, t := range a.targets {
		if len(t.props) > auditModifiedProperties {
			return true
		}
	}
	return false
}

func (a *directoryAudit) actor() jsonObject {
	if a.actorIsApp {
		return a.app
	}
	return a.user
}

// targetType reads a target's type. Graph spells the key "type" in most
// records and "Type" in some (GRAPH-NOTES); JSON keys are case-sensitive, so
// both are read: "type" when it has a value, else "Type".
func targetType(t jsonObject) string {
	if v := t.text("type"); v != "" {
		return v
	}
	return t.text("Type")
}

// userAgent is the value of the additional detail whose key is User-Agent:
// directoryAudit has no user agent property, the portal's column shows this.
func (a *directoryAudit) userAgent() string {
	for _, d := range a.details {
		if strings.EqualFold(d.text("key"), "User-Agent") {
			return d.text("value")
		}
	}
	return ""
}

func auditProp(name string, path ...string) column[*directoryAudit] {
	return column[*directoryAudit]{name, strings.Join(path, "/"), func(a *directoryAudit) string { return a.top.text(path...) }}
}

func auditUser(name, key string) column[*directoryAudit] {
	return column[*directoryAudit]{name, "initiatedBy/user/" + key, func(a *directoryAudit) string { return a.user.text(key) }}
}

func auditApp(name, key string) column[*directoryAudit] {
	return column[*directoryAudit]{name, "initiatedBy/app/" + key, func(a *directoryAudit) string { return a.app.text(key) }}
}

func directoryAuditLayout() *view[*directoryAudit] {
	cols := []column[*directoryAudit]{
		{"Date (UTC)", portalDateSource("activityDateTime"),
			func(a *directoryAudit) string { return portalDate(a.rec, a.top, "activityDateTime") }},
		auditProp("CorrelationId", "correlationId"),
		auditProp("Service", "loggedByService"),
		auditProp("Category", "category"),
		auditProp("Activity", "activityDisplayName"),
		auditProp("Result", "result"),
		auditProp("ResultReason", "resultReason"),
		{"User Agent", "value of the additionalDetails entry whose key is User-Agent (directoryAudit has no user agent property)",
			(*directoryAudit).userAgent},
		{"ActorType", "User when initiatedBy/user names someone (id, displayName or userPrincipalName), else Application when initiatedBy/app is an object, else empty",
			func(a *directoryAudit) string {
				switch {
				case a.actorIsApp:
					return "Application"
				case a.userNamed():
					return "User"
				}
				return ""
			}},
		{"ActorDisplayName", "displayName of the actor (initiatedBy/user or initiatedBy/app, as ActorType)",
			func(a *directoryAudit) string { return a.actor().text("displayName") }},
		{"ActorObjectId", "initiatedBy/user/id for a user, initiatedBy/app/servicePrincipalId for an application",
			func(a *directoryAudit) string {
				if a.actorIsApp {
					return a.app.text("servicePrincipalId")
				}
				return a.user.text("id")
			}},
		auditUser("ActorUserPrincipalName", "userPrincipalName"),
		auditUser("IPAddress", "ipAddress"),
		auditUser("ActorHomeTenantId", "homeTenantId"),
		auditUser("ActorHomeTenantName", "homeTenantName"),
		auditApp("ActorServicePrincipalId", "servicePrincipalId"),
		auditApp("ActorServicePrincipalName", "servicePrincipalName"),
	}
	for n := range auditTargets {
		cols = append(cols, targetColumns(n)...)
	}
	for n := range auditAdditionalDetails {
		cols = append(cols,
			auditDetailColumn(n, "Key", "key"),
			auditDetailColumn(n, "Value", "value"))
	}
	return &view[*directoryAudit]{parse: parseDirectoryAudit, cols: cols,
		overflow: (*directoryAudit).overflow}
}

// targetColumns are the columns of target n (0-based): TargetNType … and its
// modified properties.
func targetColumns(n int) []column[*directoryAudit] {
	target := func(a *directoryAudit) jsonObject {
		if n < len(a.targets) {
			return a.targets[n].resource
		}
		return nil
	}
	prefix := fmt.Sprintf("Target%d", n+1)
	src := fmt.Sprintf("targetResources[%d]/", n)
	cols := []column[*directoryAudit]{
		{prefix + "Type", src + "type (or Type, as some records spell it)",
			func(a *directoryAudit) string { return targetType(target(a)) }},
		{prefix + "DisplayName", src + "displayName", func(a *directoryAudit) string { return target(a).text("displayName") }},
		{prefix + "ObjectId", src + "id", func(a *directoryAudit) string { return target(a).text("id") }},
		{prefix + "UserPrincipalName", src + "userPrincipalName", func(a *directoryAudit) string { return target(a).text("userPrincipalName") }},
	}
	for m := range auditModifiedProperties {
		prop := func(a *directoryAudit) jsonObject {
			if n < len(a.targets) && m < len(a.targets[n].props) {
				return a.targets[n].props[m]
			}
			return nil
		}
		name := fmt.Sprintf("%sModifiedProperty%d", prefix, m+1)
		psrc := fmt.Sprintf("%smodifiedProperties[%d]/", src, m)
		for _, f := range [...]struct{ suffix, key string }{{"Name", "displayName"}, {"OldValue", "oldValue"}, {"NewValue", "newValue"}} {
			cols = append(cols, column[*directoryAudit]{name + f.suffix, psrc + f.key,
				func(a *directoryAudit) string { return prop(a).text(f.key) }})
		}
	}
	return cols
}

func auditDetailColumn(n int, suffix, key string) column[*directoryAudit] {
	return column[*directoryAudit]{fmt.Sprintf("AdditionalDetail%d%s", n+1, suffix), fmt.Sprintf("additionalDetails[%d]/%s", n, key),
		func(a *directoryAudit) string {
			if n < len(a.details) {
				return a.details[n].text(key)
			}
			return ""
		}}
}
