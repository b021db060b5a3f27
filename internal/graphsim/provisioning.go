package graphsim

var provisioningTargets = []string{"Salesforce", "ServiceNow", "Workday to Azure AD", "Slack", "Zscaler “ZIA”", "SAP SuccessFactors", `GitHub \"Enterprise\"`}

var provisioningActions = []string{"create", "update", "delete", "disable", "other", "stagedDelete"}

var provisioningSteps = []struct{ name, kind, text string }{
	{"EntryImport", "import", "Retrieved user from Azure Active Directory"},
	{"EntryExportUpdate", "export", `Updated user, \"mail\" changed`},
	{"EntrySynchronizationScoping", "scoping", "Determine if User in scope by evaluating against each scoping filter"},
	{"EntryExport", "export", "Entry exported to <target> & confirmed"},
	{"MatchingRule", "matching", "User matched on userPrincipalName, mail"},
}

// appendProvisioning appends a provisioningObjectSummary. Version 0 is
// published while the export is pending; later versions carry the result.
func (g *recordGen) appendProvisioning(dst []byte, r *rng, i int64, ver int, big bool) []byte {
	d := g.dir
	target := pick(r, provisioningTargets)
	who := d.users[r.intn(len(d.users))]
	failed := r.chance(0.1)

	dst = append(dst, '{')
	dst = g.appendLeadMembers(dst, i, "activityDateTime")
	dst = append(dst, `,"tenantId":"`...)
	dst = append(dst, d.tenantID...)
	jobStart := len(dst) + len(`","jobId":`)
	dst = append(dst, `","jobId":"SfdcProvisioning.`...)
	dst = appendUint(dst, r.next()%1e12)
	dst = append(dst, '"')
	job := dst[jobStart:len(dst):len(dst)] // the odd duplicate key repeats it
	dst = append(dst, `,"cycleId":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","changeId":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","provisioningAction":`...)
	dst = appendQuoted(dst, pick(r, provisioningActions))
	dst = append(dst, `,"durationInMilliseconds":`...)
	dst = appendUint(dst, uint64(r.intn(20000)))
	dst = append(dst, `,"initiatedBy":{"id":"","displayName":"Azure AD Provisioning Service","initiatorType":"system"},"servicePrincipal":{"id":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","displayName":`...)
	dst = appendQuoted(dst, target)
	dst = append(dst, `},"sourceSystem":{"id":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","displayName":"Azure Active Directory","details":`...)
	if r.chance(0.08) { // schema drift: an array where an object is expected
		dst = append(dst, `[]`...)
	} else {
		dst = append(dst, `{}`...)
	}
	dst = append(dst, `},"targetSystem":{"id":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","displayName":`...)
	dst = appendQuoted(dst, target)
	dst = append(dst, `,"details":{"ApplicationId":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","ServicePrincipalDisplayName":`...)
	dst = appendQuoted(dst, target)
	dst = append(dst, `}},"sourceIdentity":{"id":`...)
	dst = appendQuoted(dst, who.id)
	dst = append(dst, `,"displayName":`...)
	dst = appendQuoted(dst, who.name)
	dst = append(dst, `,"identityType":"User","details":{"UserPrincipalName":`...)
	dst = appendQuoted(dst, who.upn)
	dst = append(dst, `}},"targetIdentity":{"id":"00`...)
	dst = appendUint(dst, r.next()%1e15)
	dst = append(dst, `","displayName":`...)
	dst = appendQuoted(dst, who.name)
	dst = append(dst, `,"identityType":"User","details":{}},"provisioningStatusInfo":{"status":`...)
	switch {
	case ver > 0:
		dst = append(dst, `"success","errorInformation":null}`...)
	case failed:
		dst = append(dst, `"failure","errorInformation":{"errorCode":"SalesforceDuplicateUsername","reason":`...)
		dst = appendQuoted(dst, pick(r, trickyTexts))
		dst = append(dst, `,"additionalDetails":null,"errorCategory":"NonServiceFailure","recommendedAction":null}}`...)
	default:
		dst = append(dst, `"warning","errorInformation":null}`...)
	}
	dst = append(dst, `,"provisioningSteps":[`...)
	nstep := 2 + r.intn(3) + ver
	if big {
		nstep = bigPayloadEntries(r)
	}
	for k := 0; k < nstep; k++ {
		st := provisioningSteps[(k+int(i))%len(provisioningSteps)]
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":"`...)
		dst = append(dst, st.name...)
		dst = append(dst, `","provisioningStepType":"`...)
		dst = append(dst, st.kind...)
		dst = append(dst, `","status":"success","description":`...)
		dst = appendQuoted(dst, st.text)
		dst = append(dst, `,"details":{"SkipReason":`...)
		dst = appendQuoted(dst, pick(r, trickyTexts))
		dst = append(dst, `}}`...)
	}
	dst = append(dst, `],"modifiedProperties":[{"displayName":"accountEnabled","oldValue":null,"newValue":"True"},{"displayName":"displayName","oldValue":null,"newValue":`...)
	dst = appendQuoted(dst, who.name)
	dst = append(dst, `}]`...)
	dst = appendExtras(dst, r, "jobId", job)
	return append(dst, '}')
}
