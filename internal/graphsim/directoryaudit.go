package graphsim

// auditActivity is one kind of directory change.
type auditActivity struct {
	category, name, operation, targetType, property string
}

var auditActivities = []auditActivity{
	{"UserManagement", "Update user", "Update", "User", "AccountEnabled"},
	{"UserManagement", "Add user", "Add", "User", "DisplayName"},
	{"UserManagement", "Reset user password", "Update", "User", "PasswordProfile"},
	{"GroupManagement", "Add member to group", "Assign", "Group", "Group.DisplayName"},
	{"ApplicationManagement", "Update application – Certificates and secrets management ", "Update", "Application", "KeyDescription"},
	{"ApplicationManagement", "Consent to application", "Assign", "ServicePrincipal", "ConsentAction.Permissions"},
	{"RoleManagement", "Add member to role", "Assign", "Role", "Role.DisplayName"},
	{"Policy", "Update conditional access policy", "Update", "Policy", "ConditionalAccessPolicy"},
	{"Device", "Register device", "Add", "Device", "CloudDisplayName"},
}

var auditServices = []string{"Core Directory", "Conditional Access", "Self-service Password Management", "Invited Users", "PIM"}

// auditServicesJSON holds the same names as JSON strings.
var auditServicesJSON = func() [][]byte {
	out := make([][]byte, len(auditServices))
	for k, s := range auditServices {
		out[k] = []byte(`"` + s + `"`)
	}
	return out
}()

// appendDirectoryAudit appends a directoryAudit (microsoft.graph.directoryAudit).
// Later versions carry a changed resultReason and one more detail.
func (g *recordGen) appendDirectoryAudit(dst []byte, r *rng, i int64, ver int, big bool) []byte {
	d := g.dir
	act := pick(r, auditActivities)
	actor := d.users[r.intn(len(d.users))]
	target := d.users[r.intn(len(d.users))]
	byApp := r.chance(0.25)
	svc := r.intn(len(auditServices))
	failed := r.chance(0.05)
	idDefect, timeDefect := g.defects(i)

	dst = append(dst, '{')
	if idDefect != missing {
		dst = g.appendIDMember(dst, i, idDefect)
		dst = append(dst, ',')
	}
	dst = append(dst, `"category":"`...)
	dst = append(dst, act.category...)
	dst = append(dst, `","correlationId":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","result":`...)
	if failed {
		dst = append(dst, `"failure"`...)
	} else {
		dst = append(dst, `"success"`...)
	}
	dst = append(dst, `,"resultReason":`...)
	switch {
	case ver > 0:
		dst = appendQuoted(dst, "Completed after directory replication")
	case failed:
		dst = appendQuoted(dst, pick(r, trickyTexts))
	default:
		dst = append(dst, `""`...)
	}
	dst = append(dst, `,"activityDisplayName":`...)
	dst = appendQuoted(dst, act.name)
	if timeDefect != missing {
		dst = append(dst, ',')
		dst = g.appendTimeMember(dst, i, "activityDateTime", timeDefect)
	}
	dst = append(dst, `,"loggedByService":`...)
	dst = appendQuoted(dst, auditServices[svc])
	dst = append(dst, `,"operationType":`...)
	dst = appendQuoted(dst, act.operation)
	dst = append(dst, `,"initiatedBy":{`...)
	if byApp {
		k := r.intn(len(servicePrincipalNames))
		dst = append(dst, `"user":null,"app":{"appId":null,"displayName":`...)
		dst = appendQuoted(dst, servicePrincipalNames[k])
		dst = append(dst, `,"servicePrincipalId":`...)
		dst = appendQuoted(dst, d.spIDs[k])
		dst = append(dst, `,"servicePrincipalName":null}}`...)
	} else {
		dst = append(dst, `"app":null,"user":{"id":`...)
		dst = appendQuoted(dst, actor.id)
		dst = append(dst, `,"displayName":null,"userPrincipalName":`...)
		dst = appendQuoted(dst, actor.upn)
		dst = append(dst, `,"ipAddress":`...)
		dst = appendIPAddress(dst, r)
		dst = append(dst, `,"userType":"Member","homeTenantId":"`...)
		dst = append(dst, d.tenantID...)
		dst = append(dst, `","homeTenantName":null}}`...)
	}
	dst = append(dst, `,"targetResources":[{"id":`...)
	dst = appendQuoted(dst, target.id)
	dst = append(dst, `,"displayName":`...)
	dst = appendQuoted(dst, target.name)
	if r.chance(0.05) { // both spellings occur in published examples
		dst = append(dst, `,"Type":`...)
	} else {
		dst = append(dst, `,"type":`...)
	}
	dst = appendQuoted(dst, act.targetType)
	dst = append(dst, `,"userPrincipalName":`...)
	dst = appendQuoted(dst, target.upn)
	dst = append(dst, `,"groupType":null,"modifiedProperties":[`...)
	nprop := 2 + r.intn(3)
	if big {
		nprop = bigPayloadEntries(r)
	}
	for k := 0; k < nprop; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		// Old and new values are JSON documents inside strings.
		dst = append(dst, `{"displayName":`...)
		dst = appendQuoted(dst, act.property)
		dst = append(dst, `,"oldValue":"[\"`...)
		dst = append(dst, pick(r, trickyTexts)...)
		dst = append(dst, `\"]","newValue":"[{\"value\":`...)
		dst = appendUint(dst, uint64(r.intn(100000)))
		dst = append(dst, `,\"by\":\"`...)
		dst = append(dst, target.upn...)
		dst = append(dst, `\"}]"}`...)
	}
	dst = append(dst, `]}],"additionalDetails":`...)
	drift := r.chance(0.08) // schema drift: an object where an array is expected
	if drift {
		dst = append(dst, `{"key":"User-Agent","value":`...)
	} else {
		dst = append(dst, `[{"key":"User-Agent","value":`...)
	}
	dst = appendQuoted(dst, pick(r, userAgents))
	dst = append(dst, '}')
	if ver > 0 && !drift {
		dst = append(dst, `,{"key":"ReplicatedAt","value":"v`...)
		dst = appendUint(dst, uint64(ver))
		dst = append(dst, `"}`...)
	}
	if !drift {
		dst = append(dst, ']')
	}
	dst = appendExtras(dst, r, "loggedByService", auditServicesJSON[svc])
	return append(dst, '}')
}
